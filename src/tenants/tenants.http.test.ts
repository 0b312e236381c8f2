import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Api, createSchool, expectStatus, type School } from "../../test/support/api.ts";
import { ADMIN_TOKEN, startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let school: School;

before(async () => {
  target = await startTarget();
  school = await createSchool(target.fetch, "tenant-school");
});
after(() => target.close());

describe("tenants", () => {
  test("a missing or unknown tenant is a 4xx, never a 5xx", async () => {
    expectStatus(await new Api(target.fetch).get("/courses"), 400);
    expectStatus(await new Api(target.fetch, { tenant: "no-such-school" }).get("/courses"), 404);
    expectStatus(await new Api(target.fetch, { tenant: "bad tenant!" }).get("/courses"), 400);
  });

  test("platform operations need the admin token", async () => {
    const body = {
      slug: "rogue",
      name: "Rogue",
      admin: { username: "x1", email: "x@x.example", password: "0123456789ab" },
    };
    expectStatus(await new Api(target.fetch).post("/tenants", body), 401);
    expectStatus(await new Api(target.fetch, { token: `${ADMIN_TOKEN}x` }).post("/tenants", body), 401);
    expectStatus(
      await new Api(target.fetch, { token: ADMIN_TOKEN }).post("/tenants", { ...body, slug: school.slug }),
      409,
    );
  });

  test("GET /tenant describes the tenant the request is scoped to, by slug or by id", async () => {
    const bySlug = await new Api(target.fetch, { tenant: school.slug }).get<{ id: string; slug: string }>(
      "/tenant",
    );
    expectStatus(bySlug, 200);
    assert.deepEqual([bySlug.body.id, bySlug.body.slug], [school.tenantId, school.slug]);
    const byId = await new Api(target.fetch, { tenant: school.tenantId }).get<{ slug: string }>("/tenant");
    expectStatus(byId, 200);
    assert.equal(byId.body.slug, school.slug);
  });
});

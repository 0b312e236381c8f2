import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSchool, expectStatus, type School } from "../test/support/api.ts";
import { startTarget, type Target } from "../test/support/target.ts";

let target: Target;
let school: School;

before(async () => {
  target = await startTarget();
  school = await createSchool(target.fetch, "app-school");
});
after(() => target.close());

describe("bad input gets a precise 4xx", () => {
  const raw = (path: string, init: RequestInit) => target.fetch(path, init);
  const authHeaders = () => ({
    "x-tenant-id": school.slug,
    authorization: `Bearer ${school.instructor.token}`,
    "content-type": "application/json",
  });

  test("malformed JSON is 400 with the error envelope", async () => {
    const response = await raw("/api/v1/courses", {
      method: "POST",
      headers: authHeaders(),
      body: "{not json",
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; requestId: string } };
    assert.equal(body.error.code, "malformed_request");
    assert.equal(body.error.requestId, response.headers.get("x-request-id"));
  });

  test("schema violations are 422 and list every failing field", async () => {
    const response = await school.instructor.post<{ error: { code: string; fields: { path: string }[] } }>(
      "/courses",
      {
        title: "",
        course_type: "underwater",
      },
    );
    expectStatus(response, 422);
    assert.equal(response.body.error.code, "validation_failed");
    assert.deepEqual(response.body.error.fields.map((f) => f.path).sort(), [
      "json.course_type",
      "json.title",
    ]);
  });

  test("oversized bodies are 413", async () => {
    const body = JSON.stringify({ title: "x".repeat(5 * 1024 * 1024), course_type: "live" });
    const sent = raw("/api/v1/courses", { method: "POST", headers: authHeaders(), body });
    // The 413 is sent as soon as Content-Length exceeds the limit, while the client is still sending.
    // Node (lingering-close.ts) and Deno keep reading (a lingering close, RFC 9112 §9.6) so the client
    // reads it; Bun closes the connection at once, so a client still writing may get EPIPE/ECONNRESET
    // instead (README, "Bun and Deno"). On Bun either outcome is Bun's; never another status.
    const response = target.kind === "bun" ? await sent.catch((error: Error) => error) : await sent;
    if (response instanceof Error) {
      assert.match(
        String((response.cause as { code?: string })?.code),
        /^(EPIPE|ECONNRESET)$/,
        String(response),
      );
      return;
    }
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "payload_too_large");
  });

  test("unknown routes are 404 and wrong methods 405 with Allow", async () => {
    const missing = await raw("/api/v1/nothing-here", { headers: authHeaders() });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
    const wrongMethod = await raw("/api/v1/courses", { method: "DELETE", headers: authHeaders() });
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.headers.get("allow") ?? "", /GET/);
  });
});

test("the OpenAPI 3.1 document describes the routes", async () => {
  const response = await target.fetch("/api/v1/openapi.json");
  assert.equal(response.status, 200);
  const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, "3.1.0");
  for (const path of [
    "/courses",
    "/courses/{id}/enrollments",
    "/courses/{id}/content",
    "/sessions",
    "/tenants",
  ]) {
    assert.ok(doc.paths[path], `${path} is documented`);
  }
  assert.ok(doc.paths["/courses"]?.post, "POST /courses documented");
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSchool, expectStatus, type School } from "../../test/support/api.ts";
import { startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let school: School;

before(async () => {
  target = await startTarget();
  school = await createSchool(target.fetch, "session-school");
});
after(() => target.close());

describe("sessions", () => {
  test("logout revokes the token", async () => {
    const login = await school.admin
      .as(undefined)
      .post<{ token: string; user: { role: string } }>("/sessions", {
        username: "student",
        password: "correct horse battery",
      });
    expectStatus(login, 201);
    assert.equal(login.body.user.role, "student");
    const session = school.admin.as(login.body.token);
    expectStatus(await session.get("/users/me"), 200);
    expectStatus(await session.request("DELETE", "/sessions/current"), 204);
    expectStatus(await session.get("/users/me"), 401);
  });

  test("wrong password and unknown users get the same 401", async () => {
    const anonymous = school.admin.as(undefined);
    const wrong = await anonymous.post("/sessions", { username: "student", password: "nope-nope-nope" });
    const unknown = await anonymous.post("/sessions", { username: "ghost", password: "nope-nope-nope" });
    expectStatus(wrong, 401);
    expectStatus(unknown, 401);
    assert.deepEqual(
      (wrong.body as { error: { message: string } }).error.message,
      (unknown.body as { error: { message: string } }).error.message,
    );
  });
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createSchool, expectStatus, type School } from "../../../../test/support/api.ts";
import { startTarget, type Target } from "../../../../test/support/target.ts";

let target: Target;
let school: School;

before(async () => {
  target = await startTarget({ RATE_LIMIT_MAX: "5", RATE_LIMIT_WINDOW_SECONDS: "60" });
  school = await createSchool(target.fetch, "limited");
});
after(() => target.close());

test("past the limit a client gets 429 with Retry-After, other clients do not", async () => {
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<typeof school.student.get>> | undefined;
  for (let i = 0; i < 7; i++) {
    const response = await school.student.get("/courses");
    statuses.push(response.status);
    if (response.status === 429) limited = response;
  }
  assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
  assert.equal(statuses[5], 429);
  assert.ok(limited);
  const retryAfter = Number(limited.headers.get("retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal((limited.body as { error: { code: string } }).error.code, "rate_limited");
  expectStatus(await school.instructor.get("/courses"), 200);
});

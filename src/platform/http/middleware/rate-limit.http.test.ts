import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
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

/** GET /api/v1/tenant without a token, sent from `localAddress` (any 127.x address is loopback on Linux). */
function anonymousFrom(url: string, localAddress: string, tenant: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/api/v1/tenant`,
      { localAddress, headers: { "x-tenant-id": tenant } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** Sends until the window is used up (createSchool's sign-ins already used part of it); true on a 429. */
async function exhaust(send: () => Promise<number>): Promise<boolean> {
  for (let i = 0; i <= 5; i++) if ((await send()) === 429) return true;
  return false;
}

test("without a token the limit is per peer address, read on each runtime from its own server", async () => {
  const { url } = target;
  if (!url) {
    // In process (app.request) no request crossed a socket: every anonymous caller has the same,
    // unknown address, so they share one window.
    const anonymous = async () =>
      (await target.fetch("/api/v1/tenant", { headers: { "x-tenant-id": school.slug } })).status;
    assert.ok(await exhaust(anonymous), "anonymous requests are limited");
    assert.equal(await anonymous(), 429, "in process, every anonymous caller shares the window");
    return;
  }
  assert.ok(await exhaust(() => anonymousFrom(url, "127.0.0.1", school.slug)), "127.0.0.1 is limited");
  assert.equal(
    await anonymousFrom(url, "127.0.0.2", school.slug),
    200,
    `${target.kind}: a client at another address has its own window (the server read the peer address)`,
  );
});

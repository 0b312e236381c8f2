import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, expectStatus } from "../../test/support/api.ts";
import { ADMIN_TOKEN, startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let ops: Api;

before(async () => {
  target = await startTarget();
  ops = new Api(target.fetch, { token: ADMIN_TOKEN });
});
after(() => target.close());

test("ops endpoints need the admin token", async () => {
  expectStatus(await new Api(target.fetch).get("/ops/db/connections"), 401);
});

test("connection states come from pg_stat_activity", async () => {
  const response = await ops.get<{ items: { state: string; connection_count: number }[] }>(
    "/ops/db/connections",
  );
  expectStatus(response, 200);
  assert.ok(Array.isArray(response.body.items));
});

test("lock waits come from pg_locks", async () => {
  const response = await ops.get<{ items: unknown[] }>("/ops/db/locks");
  expectStatus(response, 200);
  assert.deepEqual(response.body.items, []);
});

test("slow queries need pg_stat_statements: a 409 that says how to enable it, or the statements", async () => {
  const response = await ops.get<{
    items?: { calls: number; avg_time_ms: number }[];
    error?: { code: string; message: string };
  }>("/ops/db/slow-queries?min_calls=0&limit=5");
  if (process.env.TEST_DATABASE_URL) {
    // The integration server is set up with the extension (scripts/test-services.sh).
    expectStatus(response, 200);
    assert.ok((response.body.items ?? []).length > 0);
    assert.equal(typeof response.body.items?.[0]?.avg_time_ms, "number");
  } else {
    expectStatus(response, 409);
    assert.equal(response.body.error?.code, "extension_missing");
    assert.match(response.body.error?.message ?? "", /shared_preload_libraries/);
  }
});

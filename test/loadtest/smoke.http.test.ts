import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runScenario } from "../../loadtest/runner/run.ts";
import { ADMIN_TOKEN, type SpawnedServer, spawnServer } from "../support/spawn.ts";

let server: SpawnedServer;

before(async () => {
  server = await spawnServer({ env: { RATE_LIMIT_MAX: "1000000" } });
});
after(() => server.stop());

test("the smoke scenario runs through the Node runner and the server counts every request the client sent", async () => {
  // Half-length smoke (5 s at up to 5 journeys/s): bounded in time and count, loopback only.
  const result = await runScenario("smoke", {
    baseUrl: server.url,
    adminToken: ADMIN_TOKEN,
    scale: 0.5,
    maxSeconds: 10,
  });
  process.stdout.write(`${result.summary}\n`);
  const routes = result.stats.map((s) => s.route);
  for (const route of [
    "POST /api/v1/sessions",
    "GET /api/v1/courses",
    "POST /api/v1/courses/:id/enrollments",
  ]) {
    assert.ok(routes.includes(route), `${route} exercised`);
  }
  assert.equal(
    result.stats.reduce((n, s) => n + s.failed, 0),
    0,
    "no request failed",
  );
  for (const comparison of result.comparisons) {
    assert.equal(
      comparison.serverCount,
      comparison.clientCount,
      `${comparison.route}: http_request_duration_seconds count == requests sent`,
    );
    assert.ok(comparison.serverBucketMs, `${comparison.route}: the server histogram has the route`);
    // Client time contains server time: the client's p95 cannot be below the server's p95 bucket.
    assert.ok(
      (comparison.clientP95Ms ?? 0) >= (comparison.serverBucketMs?.lower ?? 0),
      `${comparison.route}: ${comparison.problems}`,
    );
  }
  // Latency thresholds are evaluated and reported, not asserted: tests never assert wall-clock times.
  assert.ok(result.thresholds.length > 1);
});

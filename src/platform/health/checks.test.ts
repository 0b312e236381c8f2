import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createHealthChecks } from "./checks.ts";
import { healthRoutes, type Lifecycle } from "./routes.ts";
import { memoryCheck } from "./standard-checks.ts";

/** Upper bound per test: a hung check fails the test instead of the run. */
const TEST_TIMEOUT_MS = 60_000;

describe("the check registry", () => {
  const options = { timeoutMs: 1000, version: "1.2.3", environment: "test" };
  const ok = async () => ({ status: "ok" as const });

  test("a check that never answers is an error after its own timeout; the others are unaffected", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const health = createHealthChecks(options);
    health.register("database", ok);
    health.register("stuck", () => new Promise(() => {}), 50);
    health.register("memory", memoryCheck(Number.MAX_SAFE_INTEGER));
    const report = await health.run();
    assert.equal(report.status, "error");
    assert.equal(report.checks.stuck?.status, "error");
    assert.match(String(report.checks.stuck?.error), /timed out/i);
    assert.match(String(report.checks.stuck?.error), /50 ms/);
    assert.equal(report.checks.database?.status, "ok");
    assert.equal(report.checks.memory?.status, "ok");
    for (const [name, check] of Object.entries(report.checks)) {
      assert.equal(typeof check.responseTime, "number", name);
      assert.ok(check.responseTime >= 0, name);
    }
    assert.equal(report.version, "1.2.3");
    assert.equal(report.environment, "test");
    assert.ok(!Number.isNaN(Date.parse(report.timestamp)));
  });

  test("the registry's default timeout applies to checks registered without one", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const health = createHealthChecks({ ...options, timeoutMs: 50 });
    health.register("stuck", () => new Promise(() => {}));
    health.register("database", ok);
    const report = await health.run();
    assert.equal(report.checks.stuck?.status, "error");
    assert.match(String(report.checks.stuck?.error), /timed out after 50 ms/i);
    assert.equal(report.checks.database?.status, "ok");
  });

  test("a throwing check is an error carrying the message", { timeout: TEST_TIMEOUT_MS }, async () => {
    const health = createHealthChecks(options);
    health.register("redis", async () => {
      throw new Error("connect ECONNREFUSED");
    });
    health.register("database", ok);
    const report = await health.run();
    assert.equal(report.status, "error");
    assert.deepEqual(
      { status: report.checks.redis?.status, error: report.checks.redis?.error },
      { status: "error", error: "connect ECONNREFUSED" },
    );
  });

  test("degraded and warning checks make the overall status warning; all ok is ok", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const degraded = createHealthChecks(options);
    degraded.register("database", ok);
    degraded.register("federation", async () => ({ status: "degraded" }));
    assert.equal((await degraded.run()).status, "warning");

    const warning = createHealthChecks(options);
    warning.register("memory", memoryCheck(1));
    warning.register("database", ok);
    const report = await warning.run();
    assert.equal(report.checks.memory?.status, "warning", "heap above 90 % of a 1-byte limit");
    assert.equal(report.status, "warning");

    const healthy = createHealthChecks(options);
    healthy.register("database", ok);
    healthy.register("memory", memoryCheck(Number.MAX_SAFE_INTEGER));
    assert.equal((await healthy.run()).status, "ok");

    const both = createHealthChecks(options);
    both.register("federation", async () => ({ status: "degraded" }));
    both.register("redis", async () => ({ status: "error" }));
    assert.equal((await both.run()).status, "error", "error wins over degraded");
  });
});

describe("the probe routes", () => {
  const options = { timeoutMs: 1000, version: "1.2.3", environment: "test" };

  test("/ready follows the lifecycle: starting, ready, shutting down; /livez is always ok", async () => {
    const lifecycle: Lifecycle = { ready: false, shuttingDown: false };
    const app = healthRoutes(createHealthChecks(options), lifecycle);
    const ready = async () => {
      const response = await app.request("/ready");
      return [response.status, ((await response.json()) as { status: string }).status];
    };
    assert.deepEqual(await ready(), [503, "starting"]);
    lifecycle.ready = true;
    assert.deepEqual(await ready(), [200, "ready"]);
    lifecycle.shuttingDown = true;
    assert.deepEqual(await ready(), [503, "shutting down"]);
    const live = await app.request("/livez");
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "ok" });
  });

  test("/health is 200 with warnings and 503 when a check is an error", async () => {
    const checks = createHealthChecks(options);
    checks.register("memory", memoryCheck(1));
    const app = healthRoutes(checks, { ready: true, shuttingDown: false });
    const warning = await app.request("/health");
    assert.equal(warning.status, 200);
    assert.equal(((await warning.json()) as { status: string }).status, "warning");
    checks.register("database", async () => ({ status: "error" }));
    const failing = await app.request("/health");
    assert.equal(failing.status, 503);
    const body = (await failing.json()) as { status: string; checks: Record<string, { status: string }> };
    assert.equal(body.status, "error");
    assert.equal(body.checks.database?.status, "error");
  });
});

/**
 * /health, /ready, /livez: the check registry (unit), a Redis outage on the real server, and the SIGTERM
 * drain (readiness turns 503 while in-flight requests still complete).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { federationCheck } from "../../src/federation/health.ts";
import { createHealthChecks } from "../../src/platform/health/checks.ts";
import { memoryCheck } from "../../src/platform/health/standard-checks.ts";
import { Api, createSchool, expectStatus } from "../support/api.ts";
import { ADMIN_TOKEN } from "../support/in-process.ts";
import { freePort, pollUntil } from "../support/processes.ts";
import { type SpawnedServer, spawnServer } from "../support/spawn.ts";

/** Upper bound per test: a hung request fails the test instead of the run. */
const TEST_TIMEOUT_MS = 60_000;

interface HealthBody {
  status: string;
  timestamp: string;
  uptime: number;
  version: string;
  environment: string;
  checks: Record<string, { status: string; responseTime: number; error?: string }>;
}

const spawned = new Set<SpawnedServer>();
after(async () => {
  for (const server of spawned) await server.stop();
});

async function start(env: Record<string, string>): Promise<SpawnedServer> {
  const server = await spawnServer({ env });
  spawned.add(server);
  return server;
}

async function stop(server: SpawnedServer): Promise<number | null> {
  const code = await server.stop();
  spawned.delete(server);
  return code;
}

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

  test("federation: ok when more than half the known instances are healthy, degraded otherwise, ok when none known", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const cases: [healthy: number, total: number, expected: string][] = [
      [0, 0, "ok"],
      [1, 1, "ok"],
      [0, 1, "degraded"],
      [2, 3, "ok"],
      [3, 4, "ok"],
      [2, 4, "degraded"],
      [1, 3, "degraded"],
      [51, 100, "ok"],
      [50, 100, "degraded"],
    ];
    for (const [healthy, total, expected] of cases) {
      const result = await federationCheck(async () => ({ healthy, total }))();
      assert.equal(result.status, expected, `${healthy}/${total}`);
      assert.equal(result.healthy, healthy);
      assert.equal(result.total, total);
    }
  });
});

describe("Redis down", () => {
  test("/health is 503 with the redis check failing, sign-in is a 503 JSON error, probes still answer", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    let exitCode: number | null;
    try {
      const response = await fetch(`${server.url}/health`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as HealthBody;
      assert.equal(body.status, "error");
      assert.equal(body.checks.redis?.status, "error");
      assert.equal(typeof body.checks.redis?.error, "string");
      assert.equal(body.checks.database?.status, "ok");
      assert.equal(body.checks.federation?.status, "ok");
      assert.equal(body.checks.memory?.status, "ok");
      assert.deepEqual(Object.keys(body.checks).sort(), ["database", "federation", "memory", "redis"]);
      for (const [name, check] of Object.entries(body.checks)) {
        assert.equal(typeof check.responseTime, "number", `${name}.responseTime`);
      }

      assert.equal((await fetch(`${server.url}/livez`)).status, 200);
      assert.equal(
        (await fetch(`${server.url}/ready`)).status,
        200,
        "readiness is about this process, not Redis",
      );

      const platform = new Api(server.url, { token: ADMIN_TOKEN });
      const created = await platform.post("/tenants", {
        slug: "no-redis",
        name: "No Redis",
        admin: {
          username: "principal",
          email: "principal@no-redis.example",
          password: "correct horse battery",
        },
      });
      expectStatus(created, 201);
      const login = await new Api(server.url, { tenant: "no-redis" }).post<{
        error: { code: string; message: string; requestId: string };
      }>("/sessions", { username: "principal", password: "correct horse battery" });
      expectStatus(login, 503);
      assert.match(login.headers.get("content-type") ?? "", /application\/json/);
      assert.equal(login.body.error.code, "session_store_unavailable");
      assert.equal(login.body.error.requestId, login.headers.get("x-request-id"));
    } finally {
      exitCode = await stop(server);
    }
    assert.equal(exitCode, 0, "SIGTERM with Redis down still exits cleanly");
  });
});

describe("SIGTERM drain", () => {
  let server: SpawnedServer | undefined;

  test("/ready turns 503 at once while an in-flight request still completes with 200; exit code 0", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    server = await start({ FAULT_INJECTION: "true", SHUTDOWN_DRAIN_DELAY_MS: "1500" });
    const live = server;
    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready" });

    const school = await createSchool(server.url, "drain-school");
    const ops = new Api(server.url, { token: ADMIN_TOKEN });
    const rules = { rules: [{ route: "/api/v1/courses", delay_rate: 1, delay_ms: 2500 }] };
    expectStatus(await ops.request("PUT", "/ops/faults", rules), 200);

    const slow = school.student.get("/courses");
    // Let the slow request reach the server (it then waits 2.5 s inside the fault middleware).
    await new Promise((resolve) => setTimeout(resolve, 300));
    live.process.kill("SIGTERM");

    const notReady = await pollUntil(
      async () => {
        const response = await fetch(`${live.url}/ready`);
        return response.status === 503 ? ((await response.json()) as { status: string }) : undefined;
      },
      { timeoutMs: 1200, intervalMs: 50, description: "/ready answering 503 during the drain" },
    );
    assert.deepEqual(notReady, { status: "shutting down" });

    const completed = await slow;
    expectStatus(completed, 200);
    assert.ok(Array.isArray((completed.body as { items: unknown[] }).items));
    assert.equal(await stop(live), 0, live.stderr.join("\n"));
  });

  test("the shutdown's own log lines reach stdout before the process exits", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const live = server;
    assert.ok(live, "the previous test ran the server");
    // The process has exited; give the pipe a moment to deliver what it wrote (bounded).
    const messages = () => live.logs.map((l) => String(l.message));
    await pollUntil(() => messages().some((m) => /Shutdown complete/.test(m)), {
      timeoutMs: 2000,
      description: "the 'Shutdown complete' line",
    }).catch(() => {});
    assert.ok(
      messages().some((m) => /Received SIGTERM: draining/.test(m)),
      messages().join("\n"),
    );
    assert.ok(
      messages().some((m) => /Shutdown complete/.test(m)),
      `"Shutdown complete" is logged before exit; stdout ended with:\n${messages().slice(-3).join("\n")}`,
    );
  });
});

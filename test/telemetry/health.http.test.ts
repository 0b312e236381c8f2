/**
 * /health, /ready, /livez on the real server: a Redis outage, and the SIGTERM drain (readiness turns 503
 * while in-flight requests still complete). The check registry and the routes are tested beside their
 * code (src/platform/health/).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Api, createSchool, expectStatus } from "../support/api.ts";
import { freePort, pollUntil } from "../support/processes.ts";
import { ADMIN_TOKEN, type SpawnedServer, spawnServer } from "../support/spawn.ts";

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

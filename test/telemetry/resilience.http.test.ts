/**
 * Telemetry must never hurt the service: with the Collector refusing connections or hanging, requests
 * still succeed, the outage shows in telemetry_export_failures_total and (rate-limited) on stderr, and
 * SIGTERM still ends the process cleanly.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createSchool, expectStatus, type School } from "../support/api.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { freePort, pollUntil } from "../support/processes.ts";
import { type SpawnedServer, spawnServer } from "../support/spawn.ts";
import { parseExposition, sampleValue, scrape } from "./helpers.ts";

/** Upper bound per test: a hung request fails the test instead of the run. */
const TEST_TIMEOUT_MS = 90_000;

const spawned = new Set<SpawnedServer>();
let receiver: OtlpReceiver | undefined;

after(async () => {
  for (const server of spawned) await server.stop();
  await receiver?.close();
});

async function start(endpoint: string): Promise<SpawnedServer> {
  const server = await spawnServer({
    env: {
      OTEL_SDK_DISABLED: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      // Standard exporter timeout (default 10 s), shortened so a hanging Collector fails an export quickly.
      OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
    },
  });
  spawned.add(server);
  return server;
}

async function exportFailures(server: SpawnedServer, signal: "traces" | "logs"): Promise<number> {
  const value = sampleValue(
    parseExposition((await scrape(server.url)).text),
    "telemetry_export_failures_total",
    {
      signal,
    },
  );
  assert.notEqual(value, undefined, `telemetry_export_failures_total{signal="${signal}"} is exported`);
  return value as number;
}

/** Business traffic that must keep working while exports fail; returns once every request succeeded. */
async function exercise(school: School, round: number): Promise<void> {
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: `Resilience ${round}`,
    course_type: "cohort",
  });
  expectStatus(course, 201);
  expectStatus(await school.student.post(`/courses/${course.body.id}/enrollments`), 201);
  expectStatus(await school.student.get("/courses"), 200);
}

/** Keeps the API busy until the traces failure counter exceeds `atLeast` (bounded). */
async function untilTraceExportsFail(
  server: SpawnedServer,
  school: School,
  atLeast: number,
): Promise<number> {
  let round = 0;
  return pollUntil(
    async () => {
      await exercise(school, round++);
      const failures = await exportFailures(server, "traces");
      return failures >= atLeast ? failures : undefined;
    },
    {
      timeoutMs: 45_000,
      intervalMs: 250,
      description: `telemetry_export_failures_total{signal="traces"} >= ${atLeast}`,
    },
  );
}

const failureLines = (server: SpawnedServer, signal: string) =>
  server.stderr.filter((line) => new RegExp(`OTLP ${signal} export failed`).test(line));

describe("Collector refusing connections", () => {
  let server: SpawnedServer;

  test("requests succeed, export failures are counted, stderr reports them rate-limited", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    server = await start(`http://127.0.0.1:${await freePort()}`);
    const school = await createSchool(server.url, "refused-school");

    const failures = await untilTraceExportsFail(server, school, 3);
    assert.ok(failures >= 3);
    await exercise(school, 99);

    const lines = failureLines(server, "traces");
    assert.ok(lines.length >= 1, `the outage is visible on stderr:\n${server.stderr.join("\n")}`);
    assert.ok(lines.length <= 2, `at most a couple of lines for ${failures} failures:\n${lines.join("\n")}`);
    assert.ok(failureLines(server, "logs").length <= 2, server.stderr.join("\n"));
    const line = JSON.parse(lines[0] as string) as { level: string; message: string };
    assert.equal(line.level, "warn");
    assert.match(line.message, /ECONNREFUSED/);
  });

  test("SIGTERM with the Collector down exits with code 0", { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(server, "the previous test started the server");
    const code = await server.stop();
    spawned.delete(server);
    assert.equal(code, 0, server.stderr.join("\n"));
  });
});

describe("Collector hanging", () => {
  let server: SpawnedServer;

  test("requests succeed and the export timeouts are counted", { timeout: TEST_TIMEOUT_MS }, async () => {
    receiver = await startOtlpReceiver({ behavior: "hang" });
    server = await start(receiver.url);
    const school = await createSchool(server.url, "hanging-school");
    const failures = await untilTraceExportsFail(server, school, 1);
    assert.ok(failures >= 1);
    assert.ok(receiver.requests.traces >= 1, "the exporter did reach the Collector");
    assert.equal(receiver.spans.length, 0, "nothing was accepted");
    await exercise(school, 99);
    const lines = failureLines(server, "traces");
    assert.ok(lines.length >= 1 && lines.length <= 2, server.stderr.join("\n"));
    assert.match(lines[0] as string, /timed out|timeout/i);
  });

  test("SIGTERM while exports hang (spans still queued) exits with code 0", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    assert.ok(server, "the previous test started the server");
    const school = await createSchool(server.url, "hanging-school-2");
    await exercise(school, 100); // fresh spans in the batch queue for the shutdown flush
    const code = await server.stop();
    spawned.delete(server);
    assert.equal(code, 0, server.stderr.join("\n"));
  });
});

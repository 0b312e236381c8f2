/**
 * Log correlation on stdout (the JSON lines) with tracing off, in both of its forms: the SDK disabled
 * (OTEL_SDK_DISABLED=true, as spawn sets) and the SDK on with no trace exporter (OTEL_TRACES_EXPORTER=none:
 * a no-op tracer under a real context manager). No line carries the all-zero trace or span id of an
 * invalid span context (W3C Trace Context §3.2.2.3), and every line one request causes, Fedify's own
 * included, carries the one `requestId` the service gave that request (its `x-request-id`).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { School } from "../support/api.ts";
import { pollUntil } from "../support/processes.ts";
import type { SpawnedServer } from "../support/spawn.ts";
import { startBoundaryServer } from "./support.ts";

const ALL_ZERO = /^0+$/;
const root = join(import.meta.dirname, "..", "..");

/** Requests to ActivityPub endpoints that make Fedify itself log (an unsigned inbox post, an unknown actor). */
const FEDIFY_REQUESTS: { name: string; init: RequestInit; path: string }[] = [
  {
    name: "unsigned activity to the shared inbox",
    path: "/ap/inbox",
    init: {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: "https://remote.example/activities/1",
        type: "Create",
        actor: "https://remote.example/users/alice",
        object: { type: "Note", content: "hello" },
      }),
    },
  },
  {
    name: "unsigned activity to an unknown actor's inbox, with an X-Request-Id the service refuses",
    path: "/ap/actors/nobody/inbox",
    init: {
      method: "POST",
      headers: { "content-type": "application/activity+json", "x-request-id": "has spaces, so refused" },
      body: JSON.stringify({ type: "Follow", actor: "https://remote.example/users/bob", object: "x" }),
    },
  },
];

/** The number of lines once stdout has been quiet for 300 ms (earlier requests' lines are all in). */
async function settled(server: SpawnedServer): Promise<number> {
  let count = -1;
  return pollUntil(
    () => {
      const now = server.logs.length;
      const quiet = now === count;
      count = now;
      return quiet ? now : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 300, description: "quiet stdout" },
  );
}

/** Every line from `start` on that `path`'s request wrote, and its access line (the one with `route`). */
async function linesOf(server: SpawnedServer, start: number, path: string) {
  const access = await pollUntil(
    () => server.logs.slice(start).find((line) => line.path === path && typeof line.route === "string"),
    { timeoutMs: 10_000, description: `the access log line of ${path}` },
  );
  return { access, caused: server.logs.slice(start).filter((line) => line !== access) };
}

function assertNoInvalidIds(server: SpawnedServer) {
  for (const line of server.logs) {
    assert.ok(!ALL_ZERO.test(String(line.traceId ?? "x")), `invalid traceId in ${JSON.stringify(line)}`);
    assert.ok(!ALL_ZERO.test(String(line.spanId ?? "x")), `invalid spanId in ${JSON.stringify(line)}`);
  }
}

for (const mode of ["sdk-disabled", "trace-exporter-none"] as const) {
  describe(`tracing off (${mode})`, () => {
    let server: SpawnedServer;
    let school: School;
    before(async () => {
      const env: Record<string, string> =
        mode === "sdk-disabled"
          ? { LOG_LEVEL: "debug" }
          : {
              LOG_LEVEL: "debug",
              OTEL_SDK_DISABLED: "false",
              OTEL_TRACES_EXPORTER: "none",
              OTEL_LOGS_EXPORTER: "none",
              OTEL_METRICS_EXPORTER: "none",
            };
      ({ server, school } = await startBoundaryServer(`logs-${mode}`, env));
    });
    after(() => server?.stop());

    for (const { name, path, init } of FEDIFY_REQUESTS) {
      test(`Fedify's lines for one request carry the service's requestId: ${name}`, async () => {
        const start = await settled(server);
        const response = await fetch(`${server.url}${path}`, init);
        await response.arrayBuffer();
        assert.ok(response.status >= 400 && response.status < 500, `refused: ${response.status}`);
        const { access, caused } = await linesOf(server, start, path);
        const requestId = access.requestId as string;
        assert.ok(requestId, "the access line has a requestId");
        assert.ok(caused.length > 0, "Fedify logged about the refused activity");
        for (const line of caused) {
          assert.equal(line.requestId, requestId, `one requestId per request: ${JSON.stringify(line)}`);
        }
        assert.equal(response.headers.get("x-request-id"), requestId, "the response names the same id");
      });
    }

    test("an API request's lines carry no all-zero ids, and neither does any line so far (Fedify's too)", async () => {
      const response = await school.instructor.get("/courses");
      assert.equal(response.status, 200);
      await server.waitForLog(
        (line) => line.requestId === response.headers.get("x-request-id") && line.route === "/api/v1/courses",
      );
      assertNoInvalidIds(server);
    });

    if (mode === "trace-exporter-none") {
      test("an incoming W3C traceparent is a valid context: its trace id is kept on the lines", async () => {
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const response = await fetch(`${server.url}/api/v1/courses`, {
          headers: {
            authorization: `Bearer ${school.instructor.token}`,
            "x-tenant-id": school.slug,
            traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
          },
        });
        await response.arrayBuffer();
        const requestId = response.headers.get("x-request-id");
        const line = await server.waitForLog(
          (l) => l.requestId === requestId && l.route === "/api/v1/courses",
        );
        assert.equal(line.traceId, traceId);
      });
    }
  });
}

test("logger: inside withRequestLogContext a library's own request id (Fedify's LogTape context) is replaced", async () => {
  // A child process, so the logger writes to a real stdout; the line a Fedify-like logger writes
  // inside a request scope must carry the service's id, and no all-zero trace id.
  const script = `
    import { getLogger, withContext } from "@logtape/logtape";
    import { configureLogging, withRequestLogContext, appLogger } from "./src/platform/telemetry/logger.ts";
    const stop = await configureLogging({ logLevel: "debug", service: { name: "t", version: "1", environment: "test" } });
    withRequestLogContext({ requestId: "svc-1", userAgent: "ua" }, () => {
      appLogger("http").info("service line");
      const zeros = { traceId: "0".repeat(32), spanId: "0".repeat(16) };
      withContext({ requestId: "req_fedify", ...zeros }, () => getLogger(["fedify", "federation"]).error("library line"));
    });
    getLogger(["fedify"]).error("outside any request");
    await stop();
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
  });
  const lines = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const byMessage = Object.fromEntries(lines.map((line) => [line.message, line]));
  assert.equal(byMessage["service line"]?.requestId, "svc-1");
  assert.equal(byMessage["library line"]?.requestId, "svc-1");
  assert.equal(byMessage["library line"]?.userAgent, "ua");
  assert.equal(byMessage["outside any request"]?.requestId, undefined);
  for (const line of lines) {
    assert.equal(line.traceId, undefined, "no valid span, no traceId");
    assert.equal(line.spanId, undefined, "no valid span, no spanId");
  }
});

/**
 * The same service on Node, Bun and Deno: the API works over HTTP, /metrics has the route-templated
 * request counter, and the OTel SDK exports the server span and the business span chain from each runtime.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, createSchool, expectStatus } from "../support/api.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { type Runtime, type SpawnedServer, spawnServer } from "../support/spawn.ts";

/** Upper bound per test: a hung request fails the test instead of the run. */
const TEST_TIMEOUT_MS = 120_000;

let receiver: OtlpReceiver;
const spawned = new Set<SpawnedServer>();

before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  for (const server of spawned) await server.stop();
  await receiver?.close();
});

const RUNTIME_NAMES: Record<Runtime, RegExp> = { node: /^nodejs$/, bun: /^bun$/, deno: /^deno$/ };

for (const runtime of ["node", "bun", "deno"] as const) {
  test(`${runtime}: API, /metrics and OTLP traces`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const service = `fediflow-smoke-${runtime}`;
    const server = await spawnServer({
      runtime,
      env: {
        OTEL_SDK_DISABLED: "false",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: service,
      },
    });
    spawned.add(server);
    let exitCode: number | null;
    try {
      // Tenant (admin token), sign-in of admin, instructor and student.
      const school = await createSchool(server.url, `smoke-${runtime}`);
      const me = await school.student.get<{ role: string }>("/users/me");
      expectStatus(me, 200);
      assert.equal(me.body.role, "student");

      const course = await school.instructor.post<{ id: string }>("/courses", {
        title: `Runs on ${runtime}`,
        course_type: "self_paced",
      });
      expectStatus(course, 201);
      expectStatus(await school.student.post(`/courses/${course.body.id}/enrollments`), 201);
      expectStatus(
        await school.student.post(`/courses/${course.body.id}/content`, {
          content_type: "discussion",
          title: "Hello",
          body: `Posted through ${runtime}`,
        }),
        201,
      );
      expectStatus(await new Api(server.url, { tenant: school.slug }).get("/courses"), 401);

      const metrics = await fetch(`${server.url}/metrics`);
      assert.equal(metrics.status, 200);
      const text = await metrics.text();
      assert.match(
        text,
        /^http_requests_total\{method="POST",route="\/api\/v1\/courses",status_code="201"\} 1$/m,
      );
      assert.match(text, /^course_enrollments_total\{tenant="smoke-[a-z]+",course_type="self_paced"\} 1$/m);

      const requestId = course.headers.get("x-request-id");
      const ours = (s: ReceivedSpan) => s.resource["service.name"] === service;
      const span = await receiver.waitFor(
        (d) =>
          d.spans.find(
            (s) => ours(s) && s.kind === "SERVER" && s.attributes["http.request.id"] === requestId,
          ),
        { timeoutMs: 20_000, description: `${runtime}: server span of POST /api/v1/courses` },
      );
      assert.equal(span.name, "POST /api/v1/courses");
      assert.equal(span.attributes["http.route"], "/api/v1/courses");
      assert.equal(span.attributes["http.response.status_code"], 201);
      assert.equal(span.attributes["tenant.id"], school.tenantId);

      const trace = receiver.spans.filter((s) => ours(s) && s.traceId === span.traceId);
      const named = (name: string) => trace.filter((s) => s.name === name);
      const [create] = named("activity.create");
      assert.ok(create, `${runtime}: activity.create in the trace: ${trace.map((s) => s.name)}`);
      assert.equal(create.parentSpanId, span.spanId, "activity.create is a child of the server span");
      assert.equal(create.attributes["activity.type"], "Create");
      const [insert] = named("db.activity.insert");
      assert.equal(insert?.parentSpanId, create.spanId, "db.activity.insert is a child of activity.create");
      const [deliver] = named("federation.deliver");
      assert.equal(deliver?.parentSpanId, create.spanId, "federation.deliver is a child of activity.create");
      const [statement] = named("INSERT activities");
      assert.equal(
        statement?.parentSpanId,
        insert?.spanId,
        "the SQL INSERT is a child of db.activity.insert",
      );
      assert.equal(statement?.attributes["db.system.name"], "postgresql");
      const [courseInsert] = named("INSERT courses");
      assert.equal(
        courseInsert?.parentSpanId,
        span.spanId,
        "the course INSERT is a child of the server span",
      );

      const log = await receiver.waitFor(
        (d) =>
          d.logs.find((l) => l.resource["service.name"] === service && l.attributes.requestId === requestId),
        { timeoutMs: 20_000, description: `${runtime}: a log record of the request` },
      );
      assert.equal(log.traceId, span.traceId);
      assert.equal(log.spanId, span.spanId);
    } finally {
      spawned.delete(server);
      exitCode = await server.stop();
    }
    assert.equal(exitCode, 0, `${runtime} exits cleanly on SIGTERM:\n${server.stderr.join("\n")}`);
  });

  test(`${runtime}: the exported resource names the runtime that produced the telemetry`, {
    timeout: TEST_TIMEOUT_MS,
  }, () => {
    // NodeSDK's process detector reads Node's compatibility globals, which Bun and Deno also provide.
    const span = receiver.spans.find((s) => s.resource["service.name"] === `fediflow-smoke-${runtime}`);
    assert.ok(span, "the previous test received spans from this runtime");
    const { "process.runtime.name": name, "process.runtime.version": version } = span.resource;
    assert.match(String(name), RUNTIME_NAMES[runtime], `process.runtime.name (version "${version}")`);
  });
}

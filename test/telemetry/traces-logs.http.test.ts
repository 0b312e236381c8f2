/**
 * Traces and logs as the Collector receives them: the real server (on the runtime of the run, OTel SDK on) exports OTLP/HTTP
 * protobuf to a real receiver; the test drives the HTTP API and checks spans, log records and stdout.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Api, type ApiResponse, createSchool, expectStatus, type School } from "../support/api.ts";
import {
  type OtlpReceiver,
  type ReceivedLog,
  type ReceivedSpan,
  startOtlpReceiver,
} from "../support/otlp-receiver.ts";
import { ADMIN_TOKEN, type Runtime, type SpawnedServer, spawnServer, testRuntime } from "../support/spawn.ts";
import { toJson } from "./helpers.ts";

/** Upper bound per test: a hung request fails the test instead of the run. */
const TEST_TIMEOUT_MS = 60_000;

const SERVICE = "fediflow-traces-test";
const VERSION = "7.7.7-traces";
const ENVIRONMENT = "integration";
const USER_AGENT = "fediflow-telemetry-test/1.0 (traces-logs)";
const SCHOOL_PASSWORD = "correct horse battery"; // the password createSchool() signs everyone in with
const REDIS = Boolean(process.env.TEST_REDIS_URL);
const RUNTIME = testRuntime() ?? "node";
/**
 * How the resource names each runtime. On Node it is the SDK's process detector; Bun and Deno answer
 * that detector through their Node compatibility layer (as Node.js with their Node version), so the
 * service's own runtime detector (platform/telemetry/instrumentation.ts) names them truthfully.
 */
const RUNTIME_RESOURCE: Record<Runtime, { name: string; description: string }> = {
  node: { name: "nodejs", description: "Node.js" },
  bun: { name: "bun", description: "Bun" },
  deno: { name: "deno", description: "Deno" },
};
const WAIT = { timeoutMs: 15_000 };
const BATCH_SIZE = 16;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

let receiver: OtlpReceiver;
let server: SpawnedServer | undefined;
let school: School;
let instructor: Api;
let student: Api;

/** What the main flow sent and got back; the tests below inspect its telemetry. */
const flow = {
  title: `Topology ${randomUUID()}`,
  description: `Open sets, described by ${randomUUID()}`,
  discussion: `Is every metric space Hausdorff? ${randomUUID()}`,
  course: undefined as unknown as ApiResponse<{ id: string }>,
  enrol: undefined as unknown as ApiResponse<{ id: string }>,
  content: undefined as unknown as ApiResponse<{ id: string }>,
};

const requestIdOf = (response: ApiResponse<unknown>) => {
  const id = response.headers.get("x-request-id");
  assert.ok(id, "response has x-request-id");
  return id;
};

/** The exported SERVER span of the request that produced `response` (found by its request id). */
function serverSpanOf(response: ApiResponse<unknown>): Promise<ReceivedSpan> {
  const requestId = requestIdOf(response);
  return receiver.waitFor(
    (d) => d.spans.find((s) => s.kind === "SERVER" && s.attributes["http.request.id"] === requestId),
    { ...WAIT, description: `server span of request ${requestId}` },
  );
}

/** The exported access log record of the request that produced `response`. */
function accessLogOf(response: ApiResponse<unknown>): Promise<ReceivedLog> {
  const requestId = requestIdOf(response);
  return receiver.waitFor(
    (d) => d.logs.find((l) => l.attributes.requestId === requestId && l.attributes.route !== undefined),
    { ...WAIT, description: `access log record of request ${requestId}` },
  );
}

const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);

/** True when `span` descends from `ancestor` through spans of the same trace. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: readonly ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  let current: ReceivedSpan | undefined = span;
  for (let depth = 0; current && depth < 32; depth++) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined;
  }
  return false;
}

function only<T>(items: T[], what: string): T {
  assert.equal(items.length, 1, `exactly one ${what}, got ${items.length}`);
  return items[0] as T;
}

before(async () => {
  receiver = await startOtlpReceiver();
  server = await spawnServer({
    env: {
      OTEL_SDK_DISABLED: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: SERVICE,
      APP_VERSION: VERSION,
      DEPLOYMENT_ENVIRONMENT: ENVIRONMENT,
      // Standard batch settings; the service fixes its own (scheduledDelayMillis 1000), so waits allow for that.
      OTEL_BSP_SCHEDULE_DELAY: "200",
      OTEL_BLRP_SCHEDULE_DELAY: "200",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(BATCH_SIZE),
      FAULT_INJECTION: "true",
      // Every Redis command recorded, however fast (by default only failed and slow ones are).
      REDIS_SLOW_COMMAND_MS: "0",
    },
  });
  school = await createSchool(server.url, "traces-school");
  const headers = { "user-agent": USER_AGENT };
  instructor = new Api(server.url, { tenant: school.slug, token: school.instructor.token, headers });
  student = new Api(server.url, { tenant: school.slug, token: school.student.token, headers });

  flow.course = await instructor.post<{ id: string }>("/courses", {
    title: flow.title,
    description: flow.description,
    course_type: "cohort",
  });
  expectStatus(flow.course, 201);
  flow.enrol = await student.post<{ id: string }>(`/courses/${flow.course.body.id}/enrollments`);
  expectStatus(flow.enrol, 201);
  flow.content = await student.post<{ id: string }>(`/courses/${flow.course.body.id}/content`, {
    content_type: "discussion",
    title: "Separation axioms",
    body: flow.discussion,
  });
  expectStatus(flow.content, 201);
});

after(async () => {
  await server?.stop();
  await receiver?.close();
});

describe("traces", () => {
  test("POST /api/v1/courses is a SERVER span named by its route template, with HTTP, tenant and user attributes", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const span = await serverSpanOf(flow.course);
    assert.equal(span.name, "POST /api/v1/courses");
    assert.equal(span.kind, "SERVER");
    assert.equal(span.parentSpanId, undefined, "no incoming traceparent: a root span");
    assert.equal(span.attributes["http.request.method"], "POST");
    assert.equal(span.attributes["http.route"], "/api/v1/courses");
    assert.equal(span.attributes["http.response.status_code"], 201);
    assert.equal(span.attributes["user_agent.original"], USER_AGENT);
    assert.equal(span.attributes["tenant.id"], school.tenantId);
    assert.equal(span.attributes["user.id"], school.ids.instructor);
    assert.notEqual(span.status.code, STATUS_ERROR);

    const enrol = await serverSpanOf(flow.enrol);
    assert.equal(enrol.name, "POST /api/v1/courses/:id/enrollments", "ids never reach span names");
    assert.equal(enrol.attributes["http.route"], "/api/v1/courses/:id/enrollments");
    assert.equal(enrol.attributes["http.response.status_code"], 201);
  });

  test("each SQL statement is a postgresql CLIENT span under the server span, parameterized, without the values sent", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await serverSpanOf(flow.course);
    const spans = inTrace(server.traceId);
    const db = spans.filter((s) => s.attributes["db.system.name"] === "postgresql");
    assert.ok(db.length >= 2, `INSERT courses and INSERT activities at least, got ${db.map((s) => s.name)}`);
    for (const span of db) {
      assert.equal(span.kind, "CLIENT", span.name);
      assert.ok(descendsFrom(span, server, spans), `${span.name} descends from the server span`);
      assert.equal(typeof span.attributes["db.namespace"], "string");
      assert.equal(typeof span.attributes["server.address"], "string");
      assert.equal(typeof span.attributes["server.port"], "number");
      assert.equal(typeof span.attributes["db.operation.name"], "string");
      const text = span.attributes["db.query.text"];
      assert.equal(typeof text, "string");
      for (const literal of [
        flow.title,
        flow.description,
        "cohort",
        school.ids.instructor,
        school.tenantId,
      ]) {
        assert.ok(
          !String(text).includes(literal),
          `${span.name}: db.query.text must not contain "${literal}"`,
        );
      }
    }
    const insert = only(
      db.filter((s) => s.name === "INSERT courses"),
      "INSERT courses span",
    );
    assert.equal(
      insert.parentSpanId,
      server.spanId,
      "the course INSERT is a direct child of the server span",
    );
    assert.equal(insert.attributes["db.operation.name"], "INSERT");
    assert.equal(insert.attributes["db.collection.name"], "courses");
    assert.match(String(insert.attributes["db.query.text"]), /^insert into courses .*values \(\$1, \$2/);
    assert.equal(insert.attributes["db.response.returned_rows"], 1);
  });

  test("db.query.text is the statement postgres.js executes: interpolated SQL fragments are inlined, not shown as parameters", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // traced-sql builds the text by putting `$<index>` between the template's strings, so the column list
    // interpolated with sql.unsafe() (and nested sql`` fragments) appear as phantom bind parameters.
    const server = await serverSpanOf(flow.course);
    const insert = only(
      inTrace(server.traceId).filter((s) => s.name === "INSERT courses"),
      "INSERT courses span",
    );
    const text = String(insert.attributes["db.query.text"]);
    assert.doesNotMatch(
      text,
      /returning \$\d+/,
      `the RETURNING column list is SQL, not a parameter: ${text}`,
    );
    assert.match(text, /returning id, tenant_id, title/, text);
  });

  test("db.collection.name is always a table the statement touches", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await serverSpanOf(flow.content);
    // Every table the migrations create (federation and later migrations included).
    const migrations = new URL("../../src/platform/db/migrations/", import.meta.url);
    const tables = new Set<string>();
    for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql"))) {
      const sql = readFileSync(new URL(file, migrations), "utf8");
      for (const match of sql.matchAll(/create table (?:if not exists )?"?([a-z_][a-z0-9_]*)/gi)) {
        tables.add((match[1] as string).toLowerCase());
      }
    }
    tables.add("schema_migrations");
    assert.ok(tables.has("courses") && tables.has("activities"), [...tables].join(", "));
    const wrong = receiver.spans
      .filter((s) => s.attributes["db.collection.name"] !== undefined)
      .filter((s) => !tables.has(String(s.attributes["db.collection.name"])))
      .map(
        (s) =>
          `${s.name} (collection "${s.attributes["db.collection.name"]}"): ${s.attributes["db.query.text"]}`,
      );
    assert.deepEqual(wrong, [], "spans whose db.collection.name is not a table");
  });

  test("business spans: activity.create → db.activity.insert (→ INSERT activities) then federation.deliver", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const cases = [
      { response: flow.course, type: "Create", actor: school.ids.instructor },
      { response: flow.enrol, type: "Join", actor: school.ids.student },
      { response: flow.content, type: "Create", actor: school.ids.student },
    ];
    for (const { response, type, actor } of cases) {
      const server = await serverSpanOf(response);
      const spans = inTrace(server.traceId);
      const create = only(
        spans.filter((s) => s.name === "activity.create"),
        `activity.create in ${server.name}`,
      );
      assert.equal(create.parentSpanId, server.spanId, "activity.create is a child of the server span");
      assert.equal(create.scopeName, "fediflow-activity-service");
      assert.equal(create.attributes["activity.type"], type);
      assert.equal(create.attributes["activity.actor"], actor);
      assert.equal(create.attributes["tenant.id"], school.tenantId);
      assert.equal(create.status.code, STATUS_OK);

      const insert = only(
        spans.filter((s) => s.name === "db.activity.insert"),
        "db.activity.insert",
      );
      assert.equal(insert.parentSpanId, create.spanId, "db.activity.insert is a child of activity.create");
      // Semantic-convention names (db.operation / db.table are deprecated and no longer written).
      assert.equal(insert.attributes["db.operation.name"], "INSERT");
      assert.equal(insert.attributes["db.collection.name"], "activities");
      assert.equal(insert.attributes["db.operation"], undefined);
      assert.equal(insert.attributes["db.table"], undefined);
      assert.equal(insert.status.code, STATUS_OK);
      const statement = only(
        spans.filter((s) => s.name === "INSERT activities"),
        "INSERT activities statement span",
      );
      assert.equal(statement.parentSpanId, insert.spanId, "the SQL INSERT runs inside db.activity.insert");
      assert.equal(statement.kind, "CLIENT");

      const deliver = only(
        spans.filter((s) => s.name === "federation.deliver"),
        "federation.deliver",
      );
      assert.equal(deliver.parentSpanId, create.spanId, "federation.deliver is a child of activity.create");
      assert.equal(deliver.attributes["federation.recipients"], 0);
      assert.equal(deliver.attributes["federation.instances"], 0);
      assert.equal(deliver.status.code, STATUS_OK);
    }
  });

  test(`Redis CLIENT spans exist exactly when Redis is configured, here for every command (${REDIS ? "Redis" : "in-process store"})`, {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const response = await student.get("/courses");
    expectStatus(response, 200);
    const server = await serverSpanOf(response);
    const redis = inTrace(server.traceId).filter((s) => s.attributes["db.system.name"] === "redis");
    if (!REDIS) {
      assert.deepEqual(redis, [], "the in-process store makes no Redis spans");
      assert.ok(!receiver.spans.some((s) => s.attributes["db.system.name"] === "redis"), "none at all");
      return;
    }
    const names = redis.map((s) => s.name).sort();
    assert.ok(names.includes("GET"), `session lookup is a Redis GET span: ${names}`);
    assert.ok(names.includes("EVALSHA"), `rate limiting is one Redis EVALSHA span: ${names}`);
    for (const span of redis) {
      assert.equal(span.kind, "CLIENT");
      assert.equal(span.parentSpanId, server.spanId, `${span.name} is a child of the server span`);
      assert.equal(span.attributes["server.address"], new URL(String(process.env.TEST_REDIS_URL)).hostname);
      assert.equal(typeof span.attributes["server.port"], "number");
      assert.equal(span.attributes["db.operation.name"], span.name);
    }
  });

  test("an incoming W3C traceparent is continued; an unsampled one is not exported", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    const traced = new Api(server?.url as string, {
      tenant: school.slug,
      token: school.student.token,
      headers: { traceparent: `00-${traceId}-${parentId}-01`, "user-agent": USER_AGENT },
    });
    const response = await traced.get("/courses");
    expectStatus(response, 200);
    const span = await serverSpanOf(response);
    assert.equal(span.traceId, traceId);
    assert.equal(span.parentSpanId, parentId);
    assert.equal(span.name, "GET /api/v1/courses");
    const db = inTrace(traceId).filter((s) => s.attributes["db.system.name"] === "postgresql");
    assert.ok(db.length >= 1, "the SQL of the request joins the caller's trace");
    const log = await accessLogOf(response);
    assert.equal(log.traceId, traceId, "the access log carries the caller's trace id");

    const unsampledTrace = randomBytes(16).toString("hex");
    const unsampled = new Api(server?.url as string, {
      tenant: school.slug,
      token: school.student.token,
      headers: { traceparent: `00-${unsampledTrace}-${randomBytes(8).toString("hex")}-00` },
    });
    expectStatus(await unsampled.get("/courses"), 200);
    const marker = await student.get("/courses");
    await serverSpanOf(marker);
    assert.deepEqual(
      inTrace(unsampledTrace).map((s) => s.name),
      [],
      "parent-based sampling: a caller that did not sample gets no exported spans",
    );
  });

  test("resource attributes name the service, its version and deployment environment on every span and log", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await serverSpanOf(flow.content);
    await accessLogOf(flow.content);
    for (const item of [...receiver.spans, ...receiver.logs]) {
      assert.equal(item.resource["service.name"], SERVICE);
      assert.equal(item.resource["service.version"], VERSION);
      assert.equal(item.resource["deployment.environment.name"], ENVIRONMENT);
    }
  });

  test(`the resource names the runtime and the process that produced the telemetry (${RUNTIME})`, {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const span = await serverSpanOf(flow.content);
    const expected = RUNTIME_RESOURCE[RUNTIME];
    assert.equal(span.resource["process.runtime.name"], expected.name);
    assert.equal(span.resource["process.runtime.description"], expected.description);
    assert.match(String(span.resource["process.runtime.version"]), /^\d+\.\d+\.\d+/);
    assert.equal(span.resource["process.pid"], server?.process.pid, "the spawned server's own process id");
  });

  test("a 5xx makes the server span ERROR with an exception event, and the warning log joins that span", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const ops = new Api(server?.url as string, { token: ADMIN_TOKEN });
    const rules = { rules: [{ route: "/api/v1/courses", error_rate: 1, status: 500 }] };
    expectStatus(await ops.request("PUT", "/ops/faults", rules), 200);
    let failed: ApiResponse<{ error: { code: string; requestId: string } }>;
    try {
      failed = await instructor.post("/courses", { title: "Doomed", course_type: "cohort" });
    } finally {
      expectStatus(await ops.request("PUT", "/ops/faults", { rules: [] }), 200);
    }
    expectStatus(failed, 500);
    assert.equal(failed.body.error.code, "injected_fault");
    assert.equal(failed.body.error.requestId, requestIdOf(failed));

    const span = await serverSpanOf(failed);
    assert.equal(span.name, "POST /api/v1/courses");
    assert.equal(span.status.code, STATUS_ERROR);
    assert.equal(span.attributes["http.response.status_code"], 500);
    const exception = span.events.find((e) => e.name === "exception");
    assert.ok(exception, `exception event on the server span: ${toJson(span.events)}`);
    assert.equal(exception.attributes["exception.message"], "Fault injected by an operator");
    assert.equal(typeof exception.attributes["exception.type"], "string");

    const access = await accessLogOf(failed);
    assert.equal(access.attributes.status, 500);
    assert.equal(access.traceId, span.traceId);
    const warnings = receiver.logs.filter((l) => l.traceId === span.traceId && l.severityText === "WARNING");
    assert.ok(
      warnings.length >= 1,
      `a WARNING record in the failing request's trace: ${toJson(receiver.logs.filter((l) => l.traceId === span.traceId))}`,
    );
    for (const warning of warnings) assert.equal(warning.spanId, span.spanId);
  });
});

test("the standard OTEL_BSP_* batch variables keep their meaning (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await serverSpanOf(flow.content);
  const requestsBefore = receiver.requests.traces;
  const spansBefore = receiver.spans.length;
  // A burst of traced requests queues far more spans than one batch may carry.
  const burst = await Promise.all(Array.from({ length: 30 }, () => student.get("/courses")));
  for (const response of burst) expectStatus(response, 200);
  await Promise.all(burst.map((response) => serverSpanOf(response)));
  const spans = receiver.spans.length - spansBefore;
  const requests = receiver.requests.traces - requestsBefore;
  assert.ok(spans >= 60, `the burst produced ${spans} spans`);
  assert.ok(
    // (+1: one export may have been counted just before the burst while its spans were still decoding)
    spans <= BATCH_SIZE * (requests + 1),
    `OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${BATCH_SIZE}, yet ${spans} spans came in ${requests} export request(s)`,
  );
});

describe("logs", () => {
  test("the access log record carries its server span's trace and span id and the request, tenant and user ids", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const span = await serverSpanOf(flow.course);
    const log = await accessLogOf(flow.course);
    assert.equal(log.traceId, span.traceId);
    assert.equal(log.spanId, span.spanId);
    assert.equal(log.severityText, "INFO");
    assert.match(String(log.body), /^POST \/api\/v1\/courses 201 /);
    assert.equal(log.attributes.requestId, requestIdOf(flow.course));
    assert.equal(log.attributes.tenantId, school.tenantId);
    assert.equal(log.attributes.userId, school.ids.instructor);
    assert.equal(log.attributes.userAgent, USER_AGENT);
    assert.equal(log.attributes.method, "POST");
    assert.equal(log.attributes.route, "/api/v1/courses");
    assert.equal(log.attributes.status, 201);
    assert.equal(
      log.attributes.traceId,
      undefined,
      "ids travel in the record's own fields, not as attributes",
    );
    assert.equal(log.scopeName, "fediflow-api");

    // A log written by a handler (not the access log) is correlated the same way.
    const login = await student
      .as(undefined)
      .post("/sessions", { username: "student", password: SCHOOL_PASSWORD });
    expectStatus(login, 201);
    const loginSpan = await serverSpanOf(login);
    const signedIn = await receiver.waitFor(
      (d) =>
        d.logs.find((l) => l.attributes.requestId === requestIdOf(login) && /signed in/.test(String(l.body))),
      { ...WAIT, description: "the 'signed in' record" },
    );
    assert.equal(signedIn.traceId, loginSpan.traceId);
    assert.equal(signedIn.spanId, loginSpan.spanId);
    assert.equal(signedIn.attributes.tenantId, school.tenantId);
    assert.equal(signedIn.attributes.userId, school.ids.student);
  });

  test("stdout lines are JSON with the spec's fields, the access line correlated with its span", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const span = await serverSpanOf(flow.course);
    const live = server as SpawnedServer;
    const requestId = requestIdOf(flow.course);
    const line = await live.waitForLog((l) => l.requestId === requestId && l.route !== undefined, 15_000);
    const expected = {
      level: "info",
      service: SERVICE,
      version: VERSION,
      tenantId: school.tenantId,
      userId: school.ids.instructor,
      traceId: span.traceId,
      spanId: span.spanId,
      requestId,
      userAgent: USER_AGENT,
    };
    for (const [field, value] of Object.entries(expected)) assert.equal(line[field], value, field);
    assert.match(String(line.message), /^POST \/api\/v1\/courses 201 /);
    assert.ok(!Number.isNaN(Date.parse(String(line.timestamp))), "timestamp is a date");
    assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const raw = live.logs.filter((l) => "raw" in l);
    assert.deepEqual(raw, [], "every stdout line is JSON");
    for (const l of live.logs) {
      assert.equal(typeof l.timestamp, "string", toJson(l));
      assert.ok(["trace", "debug", "info", "warn", "error", "fatal"].includes(String(l.level)), toJson(l));
      assert.equal(typeof l.message, "string", toJson(l));
      assert.equal(l.service, SERVICE, toJson(l));
      assert.equal(l.version, VERSION, toJson(l));
    }
  });
});

test("no secret reaches a span, a log record, stdout or stderr", { timeout: TEST_TIMEOUT_MS }, async () => {
  const live = server as SpawnedServer;
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const wrongPassword = `nope-${randomBytes(12).toString("hex")}`;
  const bogusToken = `bogus${randomBytes(16).toString("hex")}`;
  const cookie = `cookie${randomBytes(16).toString("hex")}`;

  const created = await school.admin.post("/users", {
    username: "secretive",
    email: "secretive@traces-school.example",
    password,
    role: "student",
  });
  expectStatus(created, 201);
  const anonymous = new Api(live.url, { tenant: school.slug, headers: { cookie: `session=${cookie}` } });
  expectStatus(await anonymous.post("/sessions", { username: "secretive", password: wrongPassword }), 401);
  const login = await anonymous.post<{ token: string }>("/sessions", { username: "secretive", password });
  expectStatus(login, 201);
  const token = login.body.token;
  expectStatus(await anonymous.as(token).get("/users/me"), 200);
  expectStatus(await anonymous.as(bogusToken).get("/users/me"), 401);
  expectStatus(await new Api(live.url, { token: ADMIN_TOKEN }).get("/ops/faults"), 200);
  expectStatus(await new Api(live.url, { token: `${ADMIN_TOKEN}-wrong` }).get("/ops/faults"), 401);
  // A validation failure echoes field paths, never the values.
  expectStatus(await anonymous.post("/sessions", { username: "secretive", password: 12345 }), 422);

  const marker = await student.get("/courses");
  await serverSpanOf(marker);
  await accessLogOf(marker);
  await live.waitForLog((l) => l.requestId === requestIdOf(marker) && l.route !== undefined, 15_000);

  const secrets: Record<string, string> = {
    "school password": SCHOOL_PASSWORD,
    "new user's password": password,
    "wrong password": wrongPassword,
    "admin bearer token": school.admin.token as string,
    "instructor bearer token": school.instructor.token as string,
    "student bearer token": school.student.token as string,
    "new session token": token,
    "rejected bearer token": bogusToken,
    ADMIN_TOKEN,
    "cookie value": cookie,
  };
  const databasePassword = process.env.TEST_DATABASE_URL
    ? new URL(process.env.TEST_DATABASE_URL).password
    : "";
  if (databasePassword) secrets["database URL credentials"] = `:${databasePassword}@`;
  const sources: Record<string, string> = {
    "exported spans": toJson(receiver.spans),
    "exported log records": toJson(receiver.logs),
    stdout: toJson(live.logs),
    stderr: live.stderr.join("\n"),
  };
  const leaks: string[] = [];
  for (const [source, haystack] of Object.entries(sources)) {
    for (const [what, secret] of Object.entries(secrets)) {
      if (haystack.includes(secret)) leaks.push(`${what} in ${source}`);
    }
  }
  assert.deepEqual(leaks, []);
});

/**
 * /metrics of the real server (on the run's runtime, OTel SDK on so requests are sampled and exemplars exist): every
 * spec metric with its exact labels, OpenMetrics exemplars, promtool, and bounded cardinality.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createSchool, expectStatus, type School } from "../support/api.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { type SpawnedServer, spawnServer, testRuntime } from "../support/spawn.ts";
import { tool } from "../support/tools.ts";
import { type Exposition, parseExposition, runBounded, type Sample, scrape, UUID } from "./helpers.ts";

/** Upper bound per test: a hung request fails the test instead of the run. */
const TEST_TIMEOUT_MS = 120_000;

const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const BUCKETS = ["0.001", "0.01", "0.1", "1", "5", "10", "+Inf"];
const HTTP_LABELS = ["method", "route", "status_code"];
const OTHER_METHODS = ["PROPFIND", "MKCOL", "LOCK", "PURGE", "REPORT", "SEARCH", "NOTIFY", "LINK"];

let receiver: OtlpReceiver;
let server: SpawnedServer | undefined;
let school: School;
let courseId: string;

const url = () => (server as SpawnedServer).url;
const labelNames = (sample: Sample) => Object.keys(sample.labels).sort();
const samplesOf = (exposition: Exposition, name: string) => exposition.samples.filter((s) => s.name === name);

/** HELP and TYPE are present (in the text format under the full sample name). */
function assertFamily(exposition: Exposition, name: string, type: string): void {
  assert.ok(exposition.help.get(name), `# HELP ${name}`);
  assert.equal(exposition.type.get(name), type, `# TYPE ${name} ${type}`);
}

/** Every sample of `name` has exactly `labels`; returns the samples. */
function assertLabels(exposition: Exposition, name: string, labels: string[], minSamples = 1): Sample[] {
  const samples = samplesOf(exposition, name);
  assert.ok(
    samples.length >= minSamples,
    `${name} has at least ${minSamples} sample(s), got ${samples.length}`,
  );
  for (const sample of samples) assert.deepEqual(labelNames(sample), [...labels].sort(), sample.line);
  return samples;
}

before(async () => {
  receiver = await startOtlpReceiver();
  server = await spawnServer({
    env: { OTEL_SDK_DISABLED: "false", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, METRICS_MAX_TENANTS: "5" },
  });
  school = await createSchool(url(), "metrics-school");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Algebra",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  courseId = course.body.id;
  expectStatus(await school.student.post(`/courses/${courseId}/enrollments`), 201);
  expectStatus(
    await school.student.post(`/courses/${courseId}/content`, {
      content_type: "discussion",
      title: "Rings",
      body: "Is every field a ring?",
    }),
    201,
  );
  expectStatus(await school.student.get(`/courses/${randomUUID()}`), 404);
  expectStatus(await school.student.get("/courses"), 200);
});

after(async () => {
  await server?.stop();
  await receiver?.close();
});

describe("text format", () => {
  test("every spec metric is exported with its exact labels", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { contentType, text } = await scrape(url());
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const m = parseExposition(text);

    assertFamily(m, "http_request_duration_seconds", "histogram");
    const buckets = assertLabels(m, "http_request_duration_seconds_bucket", [...HTTP_LABELS, "le"]);
    assertLabels(m, "http_request_duration_seconds_sum", HTTP_LABELS);
    assertLabels(m, "http_request_duration_seconds_count", HTTP_LABELS);
    const series = new Map<string, string[]>();
    for (const b of buckets) {
      const key = `${b.labels.method} ${b.labels.route} ${b.labels.status_code}`;
      series.set(key, [...(series.get(key) ?? []), b.labels.le as string]);
    }
    for (const [key, les] of series) assert.deepEqual(les, BUCKETS, `buckets of ${key}`);
    assert.ok(series.has("POST /api/v1/courses 201"), [...series.keys()].join(", "));
    assert.ok(series.has("GET /api/v1/courses/:id 404"), "a 404 on a real route keeps the route template");

    assertFamily(m, "http_requests_total", "counter");
    const requests = assertLabels(m, "http_requests_total", HTTP_LABELS);
    const posted = requests.find((s) => s.labels.route === "/api/v1/courses" && s.labels.method === "POST");
    assert.equal(posted?.labels.status_code, "201");
    assert.ok(Number(posted?.value) >= 1);

    for (const name of [
      "database_connections_active",
      "database_connections_max",
      "database_connections_waiting",
    ]) {
      assertFamily(m, name, "gauge");
      const [pool] = assertLabels(m, name, ["pool_name"]);
      assert.equal(pool?.labels.pool_name, "main");
    }
    const poolMax = Number(
      samplesOf(m, "database_connections_max").find((s) => s.labels.pool_name === "main")?.value,
    );
    if (process.env.TEST_DATABASE_URL) assert.equal(poolMax, 4, "DATABASE_POOL_MAX");
    else
      assert.ok(poolMax >= 1 && poolMax <= 4, `embedded PGlite pool: 1..DATABASE_POOL_MAX, got ${poolMax}`);

    assertFamily(m, "user_sessions_total", "counter");
    const sessions = assertLabels(m, "user_sessions_total", ["tenant", "user_type"], 3);
    assert.deepEqual(sessions.map((s) => `${s.labels.tenant}/${s.labels.user_type}`).sort(), [
      "metrics-school/admin",
      "metrics-school/instructor",
      "metrics-school/student",
    ]);
    assertFamily(m, "course_enrollments_total", "counter");
    const [enrolled] = assertLabels(m, "course_enrollments_total", ["tenant", "course_type"]);
    assert.deepEqual(enrolled?.labels, { tenant: "metrics-school", course_type: "cohort" });
    assertFamily(m, "content_created_total", "counter");
    const [content] = assertLabels(m, "content_created_total", ["tenant", "content_type", "user_role"]);
    assert.deepEqual(content?.labels, {
      tenant: "metrics-school",
      content_type: "discussion",
      user_role: "student",
    });

    // Federation is not wired yet: the families exist (alerts and dashboards reference them), samples may not.
    assertFamily(m, "federation_instances_connected", "gauge");
    assertLabels(m, "federation_instances_connected", ["tenant"], 0);
    assertFamily(m, "federation_activities_total", "counter");
    assertLabels(m, "federation_activities_total", ["type", "instance", "status"], 0);
    assertFamily(m, "federation_delivery_failures_total", "counter");

    // prom-client reads the lag percentiles from perf_hooks' monitorEventLoopDelay, which Bun and Deno
    // provide too. Their values differ in meaning (README, "Bun and Deno"): Node's
    // histogram records the time between its 10 ms timer ticks (the interval plus the lag), Bun's and
    // Deno's only the lag; so they are checked for presence and sign, never for size.
    for (const name of [
      "nodejs_eventloop_lag_seconds",
      "nodejs_eventloop_lag_p50_seconds",
      "nodejs_eventloop_lag_p99_seconds",
    ]) {
      assertFamily(m, name, "gauge");
      const value = Number(samplesOf(m, name)[0]?.value);
      assert.ok(Number.isFinite(value) && value >= 0, `${name} on ${testRuntime() ?? "node"}: ${value}`);
    }
    assertFamily(m, "process_resident_memory_bytes", "gauge");
    assert.ok(Number(samplesOf(m, "process_resident_memory_bytes")[0]?.value) > 0);

    assertFamily(m, "telemetry_export_failures_total", "counter");
    const failures = assertLabels(m, "telemetry_export_failures_total", ["signal"], 2);
    assert.deepEqual(failures.map((s) => s.labels.signal).sort(), ["logs", "traces"]);
  });

  test("promtool check metrics finds no problem", { timeout: TEST_TIMEOUT_MS }, async () => {
    // The promtool of the Prometheus release compose ships (built and cached: test/support/tools.ts).
    const { text } = await scrape(url());
    const result = spawnSync(tool("promtool"), ["check", "metrics"], {
      input: text,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.error, undefined);
    assert.equal(`${result.stdout}${result.stderr}`.trim(), "", "promtool prints no problems");
    assert.equal(result.status, 0);
  });
});

describe("OpenMetrics", () => {
  test("histogram buckets carry trace-id exemplars of exported traces, and the output ends with # EOF", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { contentType, text } = await scrape(url(), OPENMETRICS);
    assert.match(contentType, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok(text.endsWith("# EOF\n"), "ends with # EOF");
    const m = parseExposition(text);
    assert.equal(m.type.get("http_requests"), "counter", "OpenMetrics counter family without _total");
    assert.ok(samplesOf(m, "http_requests_total").length > 0, "counter samples keep _total");

    const withExemplars = samplesOf(m, "http_request_duration_seconds_bucket").filter((s) => s.exemplar);
    assert.ok(withExemplars.length > 0, "some bucket lines carry an exemplar");
    for (const sample of withExemplars) {
      assert.deepEqual(Object.keys(sample.exemplar?.labels ?? {}), ["trace_id"], sample.line);
      assert.match(sample.exemplar?.labels.trace_id ?? "", /^[0-9a-f]{32}$/, sample.line);
      const le = sample.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
      assert.ok(Number(sample.exemplar?.value) <= le, `exemplar fits its bucket: ${sample.line}`);
    }
    const onlyExemplarLines = text.split("\n").filter((l) => l.includes(" # {"));
    assert.ok(onlyExemplarLines.every((l) => l.startsWith("http_request_duration_seconds_bucket{")));

    // The exemplar of POST /api/v1/courses points at the trace that the Collector received for it.
    const course = withExemplars.find(
      (s) => s.labels.route === "/api/v1/courses" && s.labels.method === "POST",
    );
    assert.ok(course, "the course creation left an exemplar");
    const traceId = course.exemplar?.labels.trace_id;
    const span = await receiver.waitFor(
      (d) => d.spans.find((s) => s.traceId === traceId && s.kind === "SERVER"),
      { timeoutMs: 15_000, description: `server span of exemplar trace ${traceId}` },
    );
    assert.equal(span.name, "POST /api/v1/courses");
  });

  test("a text scrape after OpenMetrics scrapes still has every counter's _total name", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const before = parseExposition((await scrape(url())).text);
    await scrape(url(), OPENMETRICS);
    const sequential = parseExposition((await scrape(url())).text);
    assert.ok(samplesOf(sequential, "http_requests_total").length > 0, "http_requests_total survives");
    assert.equal(sequential.type.get("http_requests_total"), "counter");
    assert.equal(sequential.type.get("http_requests"), undefined);

    // Interleaved scrapes: each render gets the names of its own format.
    const mixed = await Promise.all(
      Array.from({ length: 8 }, (_, i) => scrape(url(), i % 2 === 0 ? OPENMETRICS : undefined)),
    );
    const counters = [...before.type].filter(([, type]) => type === "counter").map(([name]) => name);
    assert.ok(counters.includes("http_requests_total") && counters.includes("user_sessions_total"));
    for (const [i, { text }] of mixed.entries()) {
      const m = parseExposition(text);
      if (i % 2 === 0) {
        assert.ok(text.endsWith("# EOF\n"));
        for (const name of counters) assert.equal(m.type.get(name.replace(/_total$/, "")), "counter", name);
      } else {
        assert.ok(!text.includes("# EOF"));
        for (const name of counters) assert.equal(m.type.get(name), "counter", `${name} in text scrape ${i}`);
      }
    }
  });
});

describe("cardinality", () => {
  const series = async () => parseExposition((await scrape(url())).text);
  /** Series of the process's own runtime collectors come and go with GC kinds and handle types: not ours. */
  const applicationSeries = (m: Exposition) =>
    m.samples.filter(
      (s) => !s.name.startsWith("nodejs_gc_duration_seconds") && !s.name.startsWith("nodejs_active_"),
    );
  const randomToken = () => randomBytes(6).toString("hex");

  test("2,000 requests to unknown paths and unknown tenants add at most a handful of series", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // Every request is bounded: a request the server never answers fails the test with its name.
    const send = (path: string, tenant: string, method = "GET") =>
      fetch(`${url()}${path}`, {
        method,
        headers: { "x-tenant-id": tenant, "user-agent": `probe-${randomToken()}/${randomToken()}` },
        signal: AbortSignal.timeout(15_000),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        (error: unknown) => {
          throw new Error(`${method} ${path} (X-Tenant-Id ${tenant}) got no answer: ${String(error)}`);
        },
      );
    // One of each kind first, so the label sets they legitimately create exist before counting.
    assert.equal(await send(`/api/v1/warm-${randomToken()}`, `t-${randomToken()}`), 404);
    assert.equal(await send(`/warm-${randomToken()}/${randomUUID()}`, `t-${randomToken()}`), 404);
    assert.equal(await send("/api/v1/courses", `t-${randomToken()}`), 404);
    assert.equal(await send("/api/v1/courses", "not a tenant!"), 400);
    assert.equal(await send(`/warm-${randomToken()}`, `t-${randomToken()}`, "PROPFIND"), 404);
    const before = await series();

    const unknown = await runBounded(2000, 20, (i) =>
      send(
        i % 2 === 0 ? `/api/v1/${randomToken()}/${randomUUID()}` : `/${randomToken()}?q=${randomToken()}`,
        `tenant-${randomToken()}`,
        // Some with methods the API does not use (Node's parser refuses invented ones): method="OTHER".
        i % 10 === 0 ? (OTHER_METHODS[(i / 10) % OTHER_METHODS.length] as string) : "GET",
      ),
    );
    assert.deepEqual([...new Set(unknown)], [404]);
    const realRoute = await runBounded(300, 20, () => send("/api/v1/courses", `tenant-${randomToken()}`));
    assert.deepEqual([...new Set(realRoute)], [404], "unknown tenants on a real route are 404");

    const afterBurst = await series();
    const growth = applicationSeries(afterBurst).length - applicationSeries(before).length;
    assert.ok(
      growth <= 20,
      `series grew by ${growth} (total ${before.seriesCount} → ${afterBurst.seriesCount})`,
    );
    assert.ok(afterBurst.seriesCount - before.seriesCount <= 60, "runtime collectors stay bounded too");

    const unmatched = afterBurst.samples.find(
      (s) =>
        s.name === "http_requests_total" && s.labels.route === "unmatched" && s.labels.status_code === "404",
    );
    assert.ok(
      Number(unmatched?.value) >= 1800,
      `unknown paths collapse to route="unmatched": ${unmatched?.line}`,
    );
    const methods = new Set(samplesOf(afterBurst, "http_requests_total").map((s) => s.labels.method));
    assert.ok(methods.has("OTHER"), `unknown methods collapse to OTHER: ${[...methods]}`);
    assert.ok(
      [...methods].every((method) => /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|OTHER)$/.test(String(method))),
    );
    assert.ok(growth >= 0);
  });

  test("label values are bounded: no raw id, path, tenant or user agent in any label", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const m = await series();
    const routes = new Set(m.samples.map((s) => s.labels.route).filter((r) => r !== undefined));
    for (const route of routes) {
      assert.doesNotMatch(route as string, UUID, `route label with a raw id: ${route}`);
      assert.ok(route === "unmatched" || /^\/[\w./:{}-]*$/.test(route as string), `route label ${route}`);
      assert.doesNotMatch(route as string, /[0-9a-f]{12}/, `route label with a client-sent token: ${route}`);
    }
    assert.ok(routes.has("/api/v1/courses/:id/enrollments"));
    for (const sample of m.samples) {
      for (const [name, value] of Object.entries(sample.labels)) {
        assert.doesNotMatch(value, UUID, `${sample.line} (${name})`);
        // The burst's paths, tenants and user agents are made of 12-hex-digit random tokens.
        assert.doesNotMatch(value, /[0-9a-f]{12}/, `a client-chosen value became a label: ${sample.line}`);
        assert.ok(
          !/^probe-|^tenant-|^t-/.test(value),
          `a client-chosen value became a label: ${sample.line}`,
        );
      }
    }
  });

  test("tenant labels stop growing at METRICS_MAX_TENANTS and collapse to other", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // METRICS_MAX_TENANTS=5: metrics-school plus 6 more schools, each signing in three users.
    for (let i = 0; i < 6; i++) await createSchool(url(), `cap-school-${i}`);
    const m = await series();
    const tenants = new Set(samplesOf(m, "user_sessions_total").map((s) => s.labels.tenant));
    assert.ok(tenants.size <= 6, `at most 5 tenants plus "other": ${[...tenants]}`);
    assert.ok(tenants.has("other"), `tenants beyond the cap are "other": ${[...tenants]}`);
    assert.ok(tenants.has("metrics-school"));
  });
});

/**
 * The OTLP-first pipeline, run for real: the service (node, OTel SDK on) → our Collector distribution
 * with the repository's otel-collector/config.yaml → Jaeger v2 (in-memory), a real Elasticsearch node,
 * Debian's Prometheus (remote-write receiver, exemplar storage). All on free loopback ports, all
 * stopped at the end. Each assertion reads a backend through its own API.
 *
 * Run with `npm run test:pipeline` (not part of `npm test`). It needs Go (the Collector and
 * Jaeger are built from the Go module proxy on first use, cached outside the repository), Maven and
 * Java 17 (Elasticsearch jars from Maven Central) and /usr/bin/prometheus.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Api, type ApiResponse, createSchool, expectStatus, type School } from "../support/api.ts";
import { ADMIN_TOKEN, type SpawnedServer, spawnServer } from "../support/spawn.ts";
import {
  type Backend,
  type Collector,
  collectorBinary,
  collectorEnv,
  elasticsearchClasspath,
  type Jaeger,
  jaegerBinary,
  prepareJaeger,
  startCollector,
  startElasticsearch,
  startPrometheus,
} from "./support/backends.ts";
import { freePort, pollUntil } from "./support/processes.ts";
import {
  collectorMetric,
  type EsDocument,
  findTraces,
  getTrace,
  type JaegerTrace,
  leaves,
  logDocuments,
  promExemplars,
  promQuery,
  serverSpanByRequestId,
  tag,
} from "./support/queries.ts";

const SERVICE = "fediflow-pipeline";
const PASSWORD = "correct horse battery"; // what createSchool() signs everyone in with
const FAST_REQUESTS = 100;
const SLOW_MS = 700; // above the config's 500 ms latency policy
const OUTAGE_MS = 30_000;
const WAIT = 60_000;

let dir: string;
let elasticsearch: Backend;
let prometheus: Backend;
let jaeger: Jaeger;
let collector: Collector;
let server: SpawnedServer;
let school: School;
let ops: Api;

/** A histogram bucket's upper bound (`le`), +Inf included. */
const bound = (le: string | undefined): number => (le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le));

const requestId = (response: ApiResponse<unknown>): string => {
  const id = response.headers.get("x-request-id");
  assert.ok(id, "response carries x-request-id");
  return id;
};

/** What the traffic phase sent; the tests below look for it in the backends. */
const sent = {
  slow: "",
  error: "",
  fast: [] as string[],
  marker: "",
  outage: [] as string[],
  outageStatuses: [] as number[],
  outageMaxMs: 0,
  queueMax: 0,
  probe: { traceId: "", secret: "", email: "" },
};

async function setFaults(rules: Record<string, unknown>[]): Promise<void> {
  expectStatus(await ops.request("PUT", "/ops/faults", { rules }), 200);
}

const jaegerHas = (requestIdValue: string) => serverSpanByRequestId(jaeger.queryUrl, SERVICE, requestIdValue);

/** OTLP/JSON straight to the Collector: a log record and an error span carrying secrets and PII. */
async function sendRedactionProbe(): Promise<void> {
  const traceId = Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join(
    "",
  );
  sent.probe = {
    traceId,
    secret: `s3cr3t-${traceId.slice(0, 8)}`,
    email: `pupil.${traceId.slice(0, 6)}@school.example`,
  };
  const now = `${Date.now()}000000`;
  const attrs = [
    { key: "password", value: { stringValue: sent.probe.secret } },
    { key: "http.request.header.authorization", value: { stringValue: `Bearer ${sent.probe.secret}` } },
    { key: "user.email", value: { stringValue: sent.probe.email } },
    { key: "probe", value: { stringValue: "redaction" } },
  ];
  const resource = { attributes: [{ key: "service.name", value: { stringValue: SERVICE } }] };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${collector.otlpHttp}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 200, `${path}: ${await response.text()}`);
  };
  await post("/v1/logs", {
    resourceLogs: [
      {
        resource,
        scopeLogs: [
          {
            scope: { name: "pipeline-test" },
            logRecords: [
              {
                timeUnixNano: now,
                severityNumber: 13,
                severityText: "WARN",
                body: { stringValue: `login by ${sent.probe.email} with Bearer ${sent.probe.secret}` },
                attributes: attrs,
                traceId,
                spanId: traceId.slice(0, 16),
              },
            ],
          },
        ],
      },
    ],
  });
  await post("/v1/traces", {
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            scope: { name: "pipeline-test" },
            spans: [
              {
                traceId,
                spanId: traceId.slice(0, 16),
                name: "redaction.probe",
                kind: 1,
                startTimeUnixNano: now,
                endTimeUnixNano: now,
                attributes: attrs,
                status: { code: 2, message: "probe" },
              },
            ],
          },
        ],
      },
    ],
  });
}

before(
  async () => {
    dir = await mkdtemp(join(tmpdir(), "fediflow-pipeline-"));
    const [collectorBin, jaegerBin, classpath] = await Promise.all([
      collectorBinary(),
      jaegerBinary(),
      elasticsearchClasspath(),
    ]);
    [elasticsearch, prometheus, jaeger] = await Promise.all([
      startElasticsearch(dir, classpath),
      startPrometheus(dir),
      prepareJaeger(dir, jaegerBin),
    ]);
    const servicePort = await freePort();
    collector = await startCollector(
      collectorBin,
      await collectorEnv({
        metricsTarget: `127.0.0.1:${servicePort}`,
        jaegerOtlp: jaeger.otlpGrpc,
        elasticsearch: elasticsearch.url,
        prometheus: prometheus.url,
      }),
    );
    server = await spawnServer({
      env: {
        PORT: String(servicePort),
        OTEL_SDK_DISABLED: "false",
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttp,
        OTEL_TRACES_SAMPLER: "parentbased_always_on",
        FAULT_INJECTION: "true",
      },
    });
    ops = new Api(server.url, { token: ADMIN_TOKEN });
    school = await createSchool(server.url, "pipeline-school");

    // A slow request (kept by the latency policy) that runs the business spans.
    await setFaults([
      { route: "/api/v1/courses", delay_rate: 1, delay_ms: SLOW_MS, error_rate: 0, status: 500 },
    ]);
    const course = await school.instructor.post<{ id: string }>("/courses", {
      title: "Pipelines",
      description: "Telemetry end to end",
      course_type: "cohort",
    });
    expectStatus(course, 201);
    sent.slow = requestId(course);
    // An error (kept by the status policy).
    await setFaults([
      { route: "/api/v1/courses/:id", error_rate: 1, status: 500, delay_rate: 0, delay_ms: 0 },
    ]);
    const failed = await school.student.get(`/courses/${course.body.id}`);
    expectStatus(failed, 500);
    sent.error = requestId(failed);
    // Fast, successful requests: only a share of them is kept.
    await setFaults([]);
    for (let i = 0; i < FAST_REQUESTS; i++) {
      const response = await school.student.get("/courses");
      expectStatus(response, 200);
      sent.fast.push(requestId(response));
    }
    // A last slow request: once Jaeger has it, the fast ones before it have been decided too.
    await setFaults([
      { route: "/api/v1/courses", delay_rate: 1, delay_ms: SLOW_MS, error_rate: 0, status: 500 },
    ]);
    const marker = await school.student.get("/courses");
    expectStatus(marker, 200);
    sent.marker = requestId(marker);
    await setFaults([]);
    await sendRedactionProbe();
  },
  { timeout: 50 * 60_000 },
);

after(
  async () => {
    // Every process stopped, each bounded; failures in one stop do not skip the others.
    await Promise.allSettled([server?.stop()]);
    await Promise.allSettled([collector?.program.stop()]);
    await Promise.allSettled([
      jaeger?.program?.stop(),
      prometheus?.program.stop(),
      elasticsearch?.program.stop(),
    ]);
    if (dir) await rm(dir, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

describe("pipeline", {
  timeout: 15 * 60_000,
}, () => {
  test("Jaeger: the slow request's trace has the server span, SQL client spans and the business spans", async () => {
    const found = await pollUntil(() => jaegerHas(sent.slow), {
      timeoutMs: WAIT,
      description: "slow trace in Jaeger",
    });
    assert.equal(found.span.operationName, "POST /api/v1/courses");
    assert.equal(tag(found.span, "http.route"), "/api/v1/courses");
    assert.ok(found.span.duration >= SLOW_MS * 1000, `duration ${found.span.duration} µs ≥ ${SLOW_MS} ms`);
    const trace = (await getTrace(jaeger.queryUrl, found.trace.traceID)) as JaegerTrace;
    const names = trace.spans.map((s) => s.operationName);
    for (const name of ["activity.create", "db.activity.insert", "federation.deliver"]) {
      assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    }
    const db = trace.spans.filter(
      (s) => tag(s, "db.system.name") === "postgresql" && tag(s, "span.kind") === "client",
    );
    assert.ok(db.length >= 2, `SQL client spans: ${names.join(", ")}`);
    assert.equal(trace.processes[trace.spans[0]?.processID ?? ""]?.serviceName, SERVICE);
    console.log(
      `# jaeger: trace ${trace.traceID}, ${trace.spans.length} spans: ${[...new Set(names)].join(", ")}`,
    );
  });

  test("Jaeger: the error trace was kept by tail sampling, while most fast traces were dropped", async () => {
    const error = await pollUntil(() => jaegerHas(sent.error), {
      timeoutMs: WAIT,
      description: "error trace",
    });
    assert.equal(error.span.operationName, "GET /api/v1/courses/:id");
    assert.equal(tag(error.span, "http.response.status_code"), 500);
    assert.equal(tag(error.span, "otel.status_code"), "ERROR");
    assert.equal(tag(error.span, "error"), true);

    await pollUntil(() => jaegerHas(sent.marker), { timeoutMs: WAIT, description: "marker trace" });
    const traces = await findTraces(jaeger.queryUrl, SERVICE, {
      operation: "GET /api/v1/courses",
      limit: 5000,
    });
    const keptIds = new Set(
      traces.flatMap((t) =>
        t.spans.map((s) => tag(s, "http.request.id")).filter((id) => typeof id === "string"),
      ),
    );
    const kept = sent.fast.filter((id) => keptIds.has(id)).length;
    // 10% probabilistic share: P(kept > 35 of 100) and P(kept = 0) are both below 1e-4.
    assert.ok(kept >= 1 && kept <= 35, `kept ${kept} of ${FAST_REQUESTS} fast traces`);
    console.log(`# tail sampling kept ${kept}/${FAST_REQUESTS} fast traces, the error and the slow ones`);
  });

  test("Prometheus: http_request_duration_seconds from remote write, with the service's labels and an exemplar", async () => {
    const series = await pollUntil(
      async () => {
        const result = await promQuery(
          prometheus.url,
          `http_request_duration_seconds_count{job="fediflow-api",method="GET",route="/api/v1/courses",status_code="200"}`,
        );
        return result.length === 1 && Number(result[0]?.value[1]) >= FAST_REQUESTS ? result : undefined;
      },
      { timeoutMs: WAIT, description: "GET /api/v1/courses count ≥ 100 in Prometheus" },
    );
    assert.equal(series[0]?.metric.instance, `127.0.0.1:${server.port}`);
    const errors = await promQuery(
      prometheus.url,
      `http_request_duration_seconds_count{job="fediflow-api",route="/api/v1/courses/:id",status_code="500"}`,
    );
    assert.equal(errors.length, 1, "the 500 is a series of its own");
    const buckets = await promQuery(
      prometheus.url,
      `http_request_duration_seconds_bucket{job="fediflow-api",route="/api/v1/courses",method="GET",status_code="200"}`,
    );
    assert.deepEqual(
      buckets.map((b) => b.metric.le).sort((a, b) => bound(a) - bound(b)),
      ["0.001", "0.01", "0.1", "1", "5", "10", "+Inf"],
      "the spec's buckets",
    );

    // The slow POST's bucket carries its trace id as an exemplar, and Jaeger has that trace.
    const slow = (await jaegerHas(sent.slow))?.trace.traceID;
    const exemplars = await pollUntil(
      async () => {
        const found = await promExemplars(
          prometheus.url,
          `http_request_duration_seconds_bucket{job="fediflow-api",method="POST",route="/api/v1/courses"}`,
        );
        const all = found.flatMap((s) => s.exemplars);
        return all.some((e) => e.labels.trace_id === slow) ? all : undefined;
      },
      { timeoutMs: WAIT, description: `an exemplar with trace_id ${slow}` },
    );
    assert.ok(exemplars.every((e) => /^[0-9a-f]{32}$/.test(e.labels.trace_id ?? "")));
    console.log(
      `# prometheus: ${JSON.stringify(series[0]?.metric)} = ${series[0]?.value[1]}; ` +
        `exemplar ${JSON.stringify(exemplars.find((e) => e.labels.trace_id === slow))}`,
    );
  });

  test("Elasticsearch: fediflow-logs-YYYY.MM.DD documents, each valid, correlated to Jaeger traces", async () => {
    const docs = await pollUntil(
      async () => {
        const all = await logDocuments(elasticsearch.url);
        const ids = new Set(all.map((d) => d.requestId));
        return ids.has(sent.slow) && ids.has(sent.error) ? all : undefined;
      },
      { timeoutMs: WAIT, description: "access logs of the slow and the error request in Elasticsearch" },
    );
    // The spec's log-line document (transform/log-document + bodymap), one per record.
    for (const doc of docs) {
      assert.match(doc._index, /^fediflow-logs-\d{4}\.\d{2}\.\d{2}$/);
      assert.ok(!Number.isNaN(Date.parse(String(doc["@timestamp"]))), `@timestamp in ${JSON.stringify(doc)}`);
      assert.equal(
        doc._index.slice("fediflow-logs-".length),
        String(doc["@timestamp"]).slice(0, 10).replaceAll("-", "."),
      );
      assert.equal(typeof doc.message, "string", "message");
      assert.match(String(doc.level), /^(trace|debug|info|warn|error|fatal)$/);
      assert.equal(doc.service, SERVICE);
      if (doc.traceId !== undefined) assert.match(String(doc.traceId), /^[0-9a-f]{32}$/);
      if (doc.spanId !== undefined) assert.match(String(doc.spanId), /^[0-9a-f]{16}$/);
    }
    for (const id of [sent.slow, sent.error]) {
      const logged = docs.filter((d) => d.requestId === id && typeof d.traceId === "string");
      assert.ok(logged.length >= 1, `log documents of request ${id}`);
      const trace = await getTrace(jaeger.queryUrl, String(logged[0]?.traceId));
      assert.ok(trace, `Jaeger knows trace ${logged[0]?.traceId} of request ${id}`);
      assert.ok(trace.spans.some((s) => tag(s, "http.request.id") === id));
    }
    const sample = docs.find((d) => d.requestId === sent.error && d.route !== undefined);
    console.log(
      `# elasticsearch: ${docs.length} documents in ${[...new Set(docs.map((d) => d._index))]}; ` +
        `the error's access log: ${JSON.stringify(sample)}`,
    );
  });

  test("no secret or PII reaches Elasticsearch or Jaeger; the Collector masks what the service did not", async () => {
    const probeDoc = await pollUntil(
      async () => (await logDocuments(elasticsearch.url)).find((d) => d.probe === "redaction"),
      { timeoutMs: WAIT, description: "the redaction probe's log document" },
    );
    const probeTrace = await pollUntil(() => getTrace(jaeger.queryUrl, sent.probe.traceId), {
      timeoutMs: WAIT,
      description: "the redaction probe's trace",
    });
    const span = probeTrace.spans[0];
    assert.ok(span);
    for (const [what, value] of [
      ["password", probeDoc.password],
      ["authorization", probeDoc["http.request.header.authorization"]],
      ["span password", tag(span, "password")],
      ["span authorization", tag(span, "http.request.header.authorization")],
    ] as const) {
      assert.match(String(value), /^\*+$/, `${what} is masked: ${String(value)}`);
    }
    assert.doesNotMatch(
      String(probeDoc.message),
      new RegExp(sent.probe.secret),
      "secret masked in the log body",
    );
    assert.doesNotMatch(
      String(probeDoc.message),
      new RegExp(sent.probe.email.replace(".", "\\.")),
      "e-mail masked",
    );

    const secrets = [
      PASSWORD,
      ADMIN_TOKEN,
      sent.probe.secret,
      sent.probe.email,
      ...[school.admin, school.instructor, school.student].map((api) => api.token as string),
    ];
    const docs = await logDocuments(elasticsearch.url);
    const traces = await findTraces(jaeger.queryUrl, SERVICE, { limit: 5000 });
    const haystacks: [string, EsDocument | JaegerTrace][] = [
      ...docs.map((d) => [`document in ${d._index}`, d] as [string, EsDocument]),
      ...traces.map((t) => [`trace ${t.traceID}`, t] as [string, JaegerTrace]),
    ];
    for (const [where, item] of haystacks) {
      const text = JSON.stringify(item);
      for (const secret of secrets)
        assert.ok(!text.includes(secret), `a secret in ${where}: ${text.slice(0, 400)}`);
      for (const [key, value] of leaves(item)) {
        if (/authorization|cookie|password|token/i.test(key) && typeof value === "string" && value !== "") {
          assert.match(value, /^\*+$/, `${where}: ${key} is masked`);
        }
      }
    }
  });

  test("Jaeger down for 30 s under traffic: requests succeed, the Collector queues, then catches up", {
    timeout: 5 * 60_000,
  }, async () => {
    const queueSize = () =>
      collectorMetric(collector.telemetryUrl, "otelcol_exporter_queue_size", {
        exporter: "otlp_grpc/jaeger",
      });
    const course = await school.instructor.post<{ id: string }>("/courses", {
      title: "Outage",
      description: "kept traces while Jaeger is away",
      course_type: "cohort",
    });
    expectStatus(course, 201);
    // Slow but successful: every one of these traces is kept, so each must reach Jaeger eventually.
    await setFaults([
      { route: "/api/v1/courses/:id", delay_rate: 1, delay_ms: 600, error_rate: 0, status: 500 },
    ]);
    await jaeger.program?.stop();

    const until = Date.now() + OUTAGE_MS;
    const monitor = (async () => {
      while (Date.now() < until + 5_000) {
        sent.queueMax = Math.max(sent.queueMax, await queueSize().catch(() => 0));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    const worker = async () => {
      while (Date.now() < until) {
        const started = performance.now();
        const response = await school.student.get(`/courses/${course.body.id}`);
        sent.outageMaxMs = Math.max(sent.outageMaxMs, performance.now() - started);
        sent.outageStatuses.push(response.status);
        if (response.status === 200) sent.outage.push(requestId(response));
      }
    };
    await Promise.all([worker(), worker(), monitor]);
    await setFaults([]);

    assert.ok(sent.outageStatuses.length >= 40, `${sent.outageStatuses.length} requests in 30 s`);
    assert.ok(
      sent.outageStatuses.every((s) => s === 200),
      `all 200: ${[...new Set(sent.outageStatuses)]}`,
    );
    assert.ok(sent.outageMaxMs < 600 + 1_000, `slowest request ${Math.round(sent.outageMaxMs)} ms`);
    assert.ok(sent.queueMax > 0, "the Collector's own metrics show batches queued for Jaeger");
    const retries = collector.program
      .output()
      .split("\n")
      .filter((l) => /otlp_grpc\/jaeger/.test(l) && /retry/i.test(l));
    assert.ok(retries.length > 0, "the Collector logs its failed sends to Jaeger and retries them");
    const failedBefore = await collectorMetric(
      collector.telemetryUrl,
      "otelcol_exporter_send_failed_spans_total",
      {
        exporter: "otlp_grpc/jaeger",
      },
    );

    await jaeger.start();
    const missing = await pollUntil(
      async () => {
        const keptIds = new Set(
          (
            await findTraces(jaeger.queryUrl, SERVICE, { operation: "GET /api/v1/courses/:id", limit: 5000 })
          ).flatMap((t) => t.spans.map((s) => tag(s, "http.request.id"))),
        );
        const left = sent.outage.filter((id) => !keptIds.has(id));
        return left.length === 0 ? left : undefined;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 1_000,
        description: `all ${sent.outage.length} outage traces in the restarted Jaeger`,
      },
    );
    assert.deepEqual(missing, []);
    await pollUntil(async () => (await queueSize()) === 0, {
      timeoutMs: WAIT,
      description: "the queue drained",
    });
    const failedAfter = await collectorMetric(
      collector.telemetryUrl,
      "otelcol_exporter_send_failed_spans_total",
      {
        exporter: "otlp_grpc/jaeger",
      },
    );
    assert.equal(failedAfter, failedBefore, "no span given up");
    // The same, through Prometheus: the Collector scrapes its own metrics into the pipeline.
    const seen = await pollUntil(
      async () => {
        const result = await promQuery(
          prometheus.url,
          `max_over_time(otelcol_exporter_queue_size{exporter="otlp_grpc/jaeger"}[10m])`,
        );
        return Number(result[0]?.value[1]) > 0 ? result : undefined;
      },
      { timeoutMs: WAIT, description: "otelcol_exporter_queue_size > 0 in Prometheus" },
    );
    console.log(
      `# outage: ${sent.outageStatuses.length} requests, all 200, slowest ${Math.round(sent.outageMaxMs)} ms; ` +
        `queue max ${sent.queueMax} (Prometheus: ${seen[0]?.value[1]}); ${sent.outage.length} traces delivered after restart`,
    );
  });
});

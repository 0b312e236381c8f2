/**
 * The OTLP-first pipeline, run for real at the versions the repository pins: two FediFlow instances
 * (node, OTel SDK on; the second receives federation deliveries, so one trace spans both) → one
 * Collector agent (otel-collector/agent.yaml) → its loadbalancing exporter, routing by trace id → TWO
 * Collector gateways (otel-collector/config.yaml: tail sampling, redaction) → Jaeger v2 (in-memory), a
 * real Elasticsearch node, Prometheus 3 (remote-write receiver for OTLP metrics; it scrapes the
 * services' OpenMetrics and the Collectors itself). All on free loopback ports, all stopped at the end.
 * Each assertion reads a backend through its own API.
 *
 * Run with `npm run test:pipeline` (not part of `npm test`). It needs Go (the Collector, Jaeger and
 * Prometheus are built from the Go module proxy on first use, cached outside the repository), Maven
 * and Java 17 (Elasticsearch jars from Maven Central).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { followCourse, Instance } from "../federation/support.ts";
import { Api, type ApiResponse, expectStatus, type School } from "../support/api.ts";
import { ADMIN_TOKEN } from "../support/spawn.ts";
import {
  type Backend,
  COLLECTOR_CONFIG,
  type Collector,
  collectorBinary,
  ELASTICSEARCH_VERSION,
  elasticsearchClasspath,
  gatewayEnv,
  type Jaeger,
  jaegerBinary,
  listenEnv,
  prepareJaeger,
  startAgent,
  startCollector,
  startElasticsearch,
  startPrometheus,
} from "./support/backends.ts";
import { freePort, pollUntil, settleAll } from "./support/processes.ts";
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
const PEER = "fediflow-peer";
const PASSWORD = "correct horse battery"; // what createSchool() signs everyone in with
const FAST_REQUESTS = 100;
const SLOW_MS = 700; // above the config's 500 ms latency policy
const OUTAGE_MS = 30_000;
const WAIT = 60_000;

let dir: string;
let elasticsearch: Backend;
let prometheus: Backend;
let jaeger: Jaeger;
let agent: Collector;
const gateways: Collector[] = [];
let instance: Instance;
let peer: Instance;
let school: School;
let peerSchool: School;
let courseId = "";
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
  federated: "",
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
    const response = await fetch(`${agent.otlpHttp}${path}`, {
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

/** An OTLP metric (a monotonic sum) sent to the agent: the remote-write path of the gateways. */
async function sendMetricProbe(): Promise<void> {
  const now = `${Date.now()}000000`;
  const response = await fetch(`${agent.otlpHttp}/v1/metrics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "pipeline-probe" } }] },
          scopeMetrics: [
            {
              scope: { name: "pipeline-test" },
              metrics: [
                {
                  name: "pipeline.probe",
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ asInt: "42", startTimeUnixNano: now, timeUnixNano: now }],
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(response.status, 200, await response.text());
}

before(
  async () => {
    dir = await mkdtemp(join(tmpdir(), "fediflow-pipeline-"));
    const [collectorBin, jaegerBin, classpath] = await Promise.all([
      collectorBinary(),
      jaegerBinary(),
      elasticsearchClasspath(),
    ]);
    await settleAll([
      startElasticsearch(dir, classpath).then((started) => {
        elasticsearch = started;
      }),
      prepareJaeger(dir, jaegerBin).then((started) => {
        jaeger = started;
      }),
    ]);
    // Ports first: Prometheus scrapes the instances and every Collector, the gateways write to it.
    const prometheusPort = await freePort();
    const otel = (endpoint: string) => ({
      OTEL_SDK_DISABLED: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
    });
    const backends = {
      jaegerOtlp: jaeger.otlpGrpc,
      elasticsearch: elasticsearch.url,
      prometheus: `http://127.0.0.1:${prometheusPort}`,
    };
    await settleAll(
      ["otelcol-gateway-1", "otelcol-gateway-2"].map(async (name, i) => {
        gateways[i] = await startCollector(
          name,
          collectorBin,
          [COLLECTOR_CONFIG],
          await gatewayEnv(backends),
        );
      }),
    );
    agent = await startAgent(dir, collectorBin, gateways, await listenEnv());
    instance = await Instance.create("pipeline", { ...otel(agent.otlpHttp), FAULT_INJECTION: "true" });
    peer = await Instance.create("peer", otel(agent.otlpHttp));
    prometheus = await startPrometheus(dir, prometheusPort, {
      services: [instance.host, peer.host],
      collectors: [agent, ...gateways].map((c) => c.telemetryTarget),
    });
    await Promise.all([instance.start(), peer.start()]);
    ops = new Api(instance.url, { token: ADMIN_TOKEN });
    // A course on the instance that a student of the peer follows: what its instructor publishes is
    // delivered to the peer, with the trace context, so one trace spans both instances.
    const federation = await followCourse(instance, peer, {
      origin: "pipeline-school",
      remote: "peer-school",
    });
    school = federation.a;
    peerSchool = federation.b;
    courseId = federation.courseId;

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
    // A slow publication in the followed course (kept by the latency policy), delivered to the peer.
    await setFaults([
      { route: "/api/v1/courses/:id/content", delay_rate: 1, delay_ms: SLOW_MS, error_rate: 0, status: 500 },
    ]);
    const lesson = await school.instructor.post(`/courses/${courseId}/content`, {
      content_type: "lesson",
      title: "Two gateways",
      body: "one trace, one gateway",
    });
    expectStatus(lesson, 201);
    sent.federated = requestId(lesson);
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
    await sendMetricProbe();
  },
  { timeout: 50 * 60_000 },
);

after(
  async () => {
    // Every process stopped, each bounded; failures in one stop do not skip the others.
    await Promise.allSettled([instance?.destroy(), peer?.destroy()]);
    await Promise.allSettled([agent?.program.stop()]);
    await Promise.allSettled(gateways.map((g) => g.program.stop()));
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

  test("Jaeger: the publication delivered to the peer is one trace across both instances", async () => {
    const found = await pollUntil(() => jaegerHas(sent.federated), {
      timeoutMs: WAIT,
      description: "the federated publication's trace",
    });
    const trace = await pollUntil(
      async () => {
        const t = await getTrace(jaeger.queryUrl, found.trace.traceID);
        return t?.spans.some((s) => s.operationName === "federation.inbox.process") ? t : undefined;
      },
      { timeoutMs: WAIT, description: "the peer's inbox processing in the same trace" },
    );
    const serviceOf = (s: JaegerTrace["spans"][number]) => trace.processes[s.processID]?.serviceName;
    const names = (service: string) =>
      trace.spans.filter((s) => serviceOf(s) === service).map((s) => s.operationName);
    for (const name of ["activity.create", "federation.deliver"])
      assert.ok(names(SERVICE).includes(name), name);
    assert.ok(names(PEER).includes("federation.inbox.process"), `peer spans: ${names(PEER).join(", ")}`);
    assert.ok(
      trace.spans.some((s) => serviceOf(s) === PEER && tag(s, "span.kind") === "server"),
      "the peer's server span for the inbox POST",
    );
    console.log(
      `# federated trace ${trace.traceID}: ${names(SERVICE).length} spans of ${SERVICE}, ${names(PEER).length} of ${PEER}`,
    );
  });

  test("two gateways: both received traces, every trace in Jaeger is whole, nothing lost between the tiers", async () => {
    await pollUntil(() => jaegerHas(sent.marker), { timeoutMs: WAIT, description: "marker trace" });
    // Whole: every span's parent is in the trace (a trace split across gateways would be decided in
    // fragments: a kept child whose parent another gateway dropped).
    const orphansOf = (trace: JaegerTrace) => {
      const ids = new Set(trace.spans.map((s) => s.spanID));
      return trace.spans.filter((s) =>
        s.references.some(
          (r) => r.refType === "CHILD_OF" && r.traceID === trace.traceID && !ids.has(r.spanID),
        ),
      );
    };
    const traces = await pollUntil(
      async () => {
        const all = new Map<string, JaegerTrace>();
        for (const service of [SERVICE, PEER])
          for (const t of await findTraces(jaeger.queryUrl, service, { limit: 5000 })) all.set(t.traceID, t);
        return [...all.values()].every((t) => orphansOf(t).length === 0) ? [...all.values()] : undefined;
      },
      { timeoutMs: WAIT, intervalMs: 2_000, description: "every trace in Jaeger without a missing parent" },
    );
    const spans = traces.reduce((n, t) => n + t.spans.length, 0);
    const spanning = traces.filter(
      (t) => new Set(t.spans.map((s) => t.processes[s.processID]?.serviceName)).size > 1,
    );
    assert.ok(spanning.length >= 1, "at least one trace spans both instances");

    // Both gateways got a share, and together exactly what the agent accepted (no span lost or doubled).
    const accepted = (c: Collector) =>
      collectorMetric(c.telemetryUrl, "otelcol_receiver_accepted_spans", { receiver: "otlp" });
    let seen = "";
    const perGateway = await pollUntil(
      async () => {
        const [fromAgent, ...counts] = await Promise.all([accepted(agent), ...gateways.map(accepted)]);
        const sum = counts.reduce((a, b) => a + b, 0);
        seen = `agent ${fromAgent}, gateways ${counts.join(" + ")}`;
        return sum === fromAgent && counts.every((n) => n > 0) ? { fromAgent, counts } : undefined;
      },
      {
        timeoutMs: WAIT,
        description: "the gateways' accepted spans to add up to the agent's",
        detail: () => `: last seen ${seen}`,
      },
    );
    const decisions = await Promise.all(
      gateways.map(async (g) => ({
        sampled: await collectorMetric(
          g.telemetryUrl,
          "otelcol_processor_tail_sampling_global_count_traces_sampled",
          {
            sampled: "true",
          },
        ),
        dropped: await collectorMetric(
          g.telemetryUrl,
          "otelcol_processor_tail_sampling_global_count_traces_sampled",
          {
            sampled: "false",
          },
        ),
      })),
    );
    console.log(
      `# two gateways: ${traces.length} traces (${spans} spans) in Jaeger, all whole, ${spanning.length} across both instances; ` +
        `agent accepted ${perGateway.fromAgent} spans, gateways ${perGateway.counts.join(" + ")}; ` +
        `tail sampling per gateway (kept/dropped traces): ${decisions.map((d) => `${d.sampled}/${d.dropped}`).join(", ")}`,
    );
  });

  test("Prometheus 3 scrapes the service's OpenMetrics: its labels, Prometheus 3's le spelling and an exemplar", async () => {
    const series = await pollUntil(
      async () => {
        const result = await promQuery(
          prometheus.url,
          `http_request_duration_seconds_count{job="fediflow-api",instance="${instance.host}",method="GET",route="/api/v1/courses",status_code="200"}`,
        );
        return result.length === 1 && Number(result[0]?.value[1]) >= FAST_REQUESTS ? result : undefined;
      },
      { timeoutMs: WAIT, description: "GET /api/v1/courses count ≥ 100 in Prometheus" },
    );
    const errors = await promQuery(
      prometheus.url,
      `http_request_duration_seconds_count{job="fediflow-api",route="/api/v1/courses/:id",status_code="500"}`,
    );
    assert.equal(errors.length, 1, "the 500 is a series of its own");
    const buckets = await promQuery(
      prometheus.url,
      `http_request_duration_seconds_bucket{job="fediflow-api",instance="${instance.host}",route="/api/v1/courses",method="GET",status_code="200"}`,
    );
    // The spec's buckets. Prometheus 3 normalises `le` of classic histograms to float notation on
    // ingestion ("1" is stored as "1.0"), whatever the exposition wrote; queries must match that.
    assert.deepEqual(
      buckets.map((b) => b.metric.le).sort((a, b) => bound(a) - bound(b)),
      ["0.001", "0.01", "0.1", "1.0", "5.0", "10.0", "+Inf"],
    );
    // One path: each series exists once (scraped), never a second copy by remote write.
    const copies = await promQuery(prometheus.url, 'count by (instance) (up{job="fediflow-api"})');
    assert.deepEqual(
      copies.map((c) => c.value[1]),
      ["1", "1"],
      "each instance scraped once",
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

    // Metrics pushed over OTLP take the other path: agent → gateway → remote write.
    const probe = await pollUntil(
      async () => {
        const result = await promQuery(prometheus.url, 'pipeline_probe_total{job="pipeline-probe"}');
        return result.length === 1 ? result : undefined;
      },
      { timeoutMs: WAIT, description: "the OTLP metric probe, remote-written by a gateway" },
    );
    assert.equal(probe[0]?.value[1], "42");
    console.log(
      `# prometheus: ${JSON.stringify(series[0]?.metric)} = ${series[0]?.value[1]}; ` +
        `exemplar ${JSON.stringify(exemplars.find((e) => e.labels.trace_id === slow))}; OTLP probe ${JSON.stringify(probe[0]?.metric)}`,
    );
  });

  test("Elasticsearch: fediflow-logs-YYYY.MM.DD documents, each valid, correlated to Jaeger traces", async () => {
    // The node is the release compose ships (ELASTICSEARCH_IMAGE in .env).
    const node = (await (await fetch(elasticsearch.url)).json()) as { version: { number: string } };
    assert.equal(node.version.number, ELASTICSEARCH_VERSION);
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
      assert.ok([SERVICE, PEER].includes(String(doc.service)), `service ${doc.service}`);
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
      ...[school.admin, school.instructor, school.student, peerSchool.admin, peerSchool.student].map(
        (api) => api.token as string,
      ),
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
    // Summed over both gateways: each queues the traces routed to it.
    const onGateways = async (name: string, labels: Record<string, string>, absentIsZero = false) =>
      (
        await Promise.all(
          gateways.map((g) => collectorMetric(g.telemetryUrl, name, labels, { absentIsZero })),
        )
      ).reduce((a, b) => a + b, 0);
    const queueSize = () => onGateways("otelcol_exporter_queue_size", { exporter: "otlp_grpc/jaeger" });
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
    const retries = gateways
      .flatMap((g) => g.program.output().split("\n"))
      .filter((l) => /otlp_grpc\/jaeger/.test(l) && /retry/i.test(l));
    assert.ok(retries.length > 0, "the Collector logs its failed sends to Jaeger and retries them");
    const failedBefore = await onGateways(
      "otelcol_exporter_send_failed_spans",
      { exporter: "otlp_grpc/jaeger" },
      true,
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
    const failedAfter = await onGateways(
      "otelcol_exporter_send_failed_spans",
      { exporter: "otlp_grpc/jaeger" },
      true,
    );
    assert.equal(failedAfter, failedBefore, "no span given up");
    // The same, through Prometheus, which scrapes every Collector's own metrics.
    const seen = await pollUntil(
      async () => {
        const result = await promQuery(
          prometheus.url,
          `max(max_over_time(otelcol_exporter_queue_size{job="otel-collector",exporter="otlp_grpc/jaeger"}[10m]))`,
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

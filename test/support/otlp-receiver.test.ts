import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { context, SeverityNumber, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  StackContextManager,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.ts";

const resource = resourceFromAttributes({
  "service.name": "otlp-receiver-test",
  "deployment.environment": "test",
});

/** Real spans, captured in memory, to feed exporters/serializers directly. */
function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  provider
    .getTracer("fixture")
    .startSpan("fixture-span", { attributes: { "fixture.n": 7 } })
    .end();
  return memory.getFinishedSpans();
}

function exportOnce(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

describe("OtlpReceiver", () => {
  let receiver: OtlpReceiver;

  before(async () => {
    // Synchronous context propagation is enough for startActiveSpan/context.with callbacks.
    context.setGlobalContextManager(new StackContextManager().enable());
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver.close();
    context.disable();
  });
  beforeEach(() => {
    receiver.setBehavior("accept");
    receiver.reset();
  });

  test("decodes spans exported by the real SDK (BatchSpanProcessor + OTLP/proto exporter)", async () => {
    const provider = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: receiver.endpoints.traces }) }),
      ],
    });
    const tracer = provider.getTracer("receiver-test", "1.2.3");
    tracer.startActiveSpan(
      "GET /courses",
      {
        kind: SpanKind.SERVER,
        attributes: { "http.route": "/courses", "http.status_code": 500, retried: true },
      },
      (parent) => {
        const child = tracer.startSpan("db.query", {
          kind: SpanKind.CLIENT,
          attributes: { "db.system": "postgresql", ratio: 0.5, tags: ["a", "b"] },
        });
        child.recordException(new TypeError("connection refused"));
        child.setStatus({ code: SpanStatusCode.ERROR, message: "connection refused" });
        child.end();
        parent.setStatus({ code: SpanStatusCode.ERROR });
        parent.end();
      },
    );
    await provider.forceFlush();
    await provider.shutdown();

    const spans = await receiver.waitFor((d) => d.spans.length >= 2 && d.spans, { description: "2 spans" });
    assert.equal(spans.length, 2);
    const parent = spans.find((s) => s.name === "GET /courses");
    const child = spans.find((s) => s.name === "db.query");
    assert.ok(parent && child);

    assert.match(parent.traceId, /^[0-9a-f]{32}$/);
    assert.match(parent.spanId, /^[0-9a-f]{16}$/);
    assert.equal(parent.parentSpanId, undefined);
    assert.equal(child.traceId, parent.traceId);
    assert.equal(child.parentSpanId, parent.spanId);

    assert.equal(parent.kind, "SERVER");
    assert.equal(child.kind, "CLIENT");
    assert.deepEqual(parent.attributes, { "http.route": "/courses", "http.status_code": 500, retried: true });
    assert.deepEqual(child.attributes, { "db.system": "postgresql", ratio: 0.5, tags: ["a", "b"] });
    assert.equal(typeof parent.startTimeUnixNano, "bigint");
    assert.ok(parent.endTimeUnixNano >= parent.startTimeUnixNano && parent.startTimeUnixNano > 0n);

    assert.deepEqual(child.status, { code: SpanStatusCode.ERROR, message: "connection refused" });
    assert.equal(parent.status.code, SpanStatusCode.ERROR);
    const exception = child.events.find((e) => e.name === "exception");
    assert.ok(exception, "exception event");
    assert.equal(exception.attributes["exception.type"], "TypeError");
    assert.equal(exception.attributes["exception.message"], "connection refused");
    assert.match(String(exception.attributes["exception.stacktrace"]), /TypeError: connection refused/);

    assert.equal(parent.resource["service.name"], "otlp-receiver-test");
    assert.equal(parent.resource["deployment.environment"], "test");
    assert.equal(parent.scopeName, "receiver-test");
    assert.equal(parent.scopeVersion, "1.2.3");
    assert.ok(receiver.requests.traces >= 1);
    assert.deepEqual(receiver.errors, []);
  });

  test("decodes logs exported by the real SDK, correlated with the active span", async () => {
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: receiver.endpoints.logs }) }),
      ],
    });
    const logger = loggerProvider.getLogger("receiver-test-logger");
    const tracer = new TracerProvider({ resource }).getTracer("receiver-test");

    let spanContext = { traceId: "", spanId: "" };
    tracer.startActiveSpan("handle-request", (span) => {
      spanContext = span.spanContext();
      logger.emit({
        severityNumber: SeverityNumber.WARN,
        severityText: "WARN",
        body: "enrollment failed",
        attributes: { "tenant.id": "t-1", attempt: 3 },
      });
      span.end();
    });
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      severityText: "INFO",
      body: { structured: true, n: 1 },
    });
    await loggerProvider.forceFlush();
    await loggerProvider.shutdown();

    const logs = await receiver.waitFor((d) => d.logs.length >= 2 && d.logs, { description: "2 logs" });
    const inSpan = logs.find((l) => l.body === "enrollment failed");
    assert.ok(inSpan);
    assert.equal(inSpan.severityText, "WARN");
    assert.equal(inSpan.severityNumber, SeverityNumber.WARN);
    assert.deepEqual(inSpan.attributes, { "tenant.id": "t-1", attempt: 3 });
    assert.equal(inSpan.traceId, spanContext.traceId);
    assert.equal(inSpan.spanId, spanContext.spanId);
    assert.equal(inSpan.resource["service.name"], "otlp-receiver-test");
    assert.equal(inSpan.scopeName, "receiver-test-logger");
    assert.ok(inSpan.timeUnixNano > 0n);

    const outside = logs.find((l) => l.severityText === "INFO");
    assert.ok(outside);
    assert.deepEqual(outside.body, { structured: true, n: 1 });
    assert.equal(outside.traceId, undefined);
    assert.equal(outside.spanId, undefined);
  });

  test("accepts gzip-encoded protobuf and OTLP/JSON, counts metrics requests", async () => {
    const spans = makeSpans();
    const proto = ProtobufTraceSerializer.serializeRequest(spans);
    const json = JsonTraceSerializer.serializeRequest(spans);
    assert.ok(proto && json);

    const gz = await fetch(receiver.endpoints.traces, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip" },
      body: gzipSync(proto),
    });
    assert.equal(gz.status, 200);
    const js = await fetch(receiver.endpoints.traces, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: json,
    });
    assert.equal(js.status, 200);
    assert.deepEqual(await js.json(), {});

    assert.equal(receiver.spans.length, 2);
    const [fromProto, fromJson] = receiver.spans;
    assert.deepEqual(fromJson, fromProto);
    assert.equal(fromProto?.traceId, spans[0]?.spanContext().traceId);
    assert.deepEqual(fromProto?.attributes, { "fixture.n": 7 });

    const metrics = await fetch(receiver.endpoints.metrics, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: new Uint8Array(0),
    });
    assert.equal(metrics.status, 200);
    assert.deepEqual(receiver.requests, { traces: 2, logs: 0, metrics: 1 });

    const bad = await fetch(receiver.endpoints.traces, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: new Uint8Array([0xff, 0xff, 0xff]),
    });
    assert.equal(bad.status, 400);
    assert.equal(receiver.errors.length, 1);
  });

  test("503 mode: the exporter reports failure and nothing is stored; recovers when accepting again", async () => {
    const spans = makeSpans();
    receiver.setBehavior({ status: 503 });
    // 500 ms timeout < the exporter's first retry backoff (~1 s), so it gives up after one attempt.
    const exporter = new OTLPTraceExporter({ url: receiver.endpoints.traces, timeoutMillis: 500 });
    const failed = await exportOnce(exporter, spans);
    assert.equal(failed.code, ExportResultCode.FAILED);
    assert.ok(receiver.requests.traces >= 1);
    assert.equal(receiver.spans.length, 0);

    receiver.setBehavior("accept");
    const ok = await exportOnce(exporter, spans);
    assert.equal(ok.code, ExportResultCode.SUCCESS);
    assert.equal(receiver.spans.length, 1);
    await exporter.shutdown();
  });

  test("hang mode: the exporter times out", async () => {
    receiver.setBehavior("hang");
    const exporter = new OTLPTraceExporter({ url: receiver.endpoints.traces, timeoutMillis: 300 });
    const started = Date.now();
    const result = await exportOnce(exporter, makeSpans());
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.ok(Date.now() - started >= 250, "waited for the timeout");
    assert.equal(receiver.requests.traces, 1);
    await exporter.shutdown();
  });

  test("waitFor rejects with a summary of what was received", async () => {
    await receiver.waitFor((d) => d.requests.traces === 0);
    const exporter = new OTLPTraceExporter({ url: receiver.endpoints.traces });
    await exportOnce(exporter, makeSpans());
    await exporter.shutdown();
    await assert.rejects(
      receiver.waitFor((d) => d.spans.some((s) => s.name === "never-sent"), {
        timeoutMs: 100,
        description: "span never-sent",
      }),
      (err: Error) => {
        assert.match(err.message, /timed out after 100ms waiting for span never-sent/);
        assert.match(err.message, /1 span\(s\):\n {4}- fixture-span \[INTERNAL\]/);
        assert.match(err.message, /0 log\(s\)/);
        return true;
      },
    );
    // A throwing predicate counts as "not yet" and its message is reported.
    await assert.rejects(
      receiver.waitFor(
        (d) => {
          assert.equal(d.spans.length, 3, "want three spans");
          return true;
        },
        { timeoutMs: 50 },
      ),
      /Last predicate error: want three spans/,
    );
  });
});

import { AsyncLocalStorage } from "node:async_hooks";
import { Writable } from "node:stream";
import {
  configure,
  getLogger,
  getStreamSink,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";
import {
  type AnyValue,
  context,
  isSpanContextValid,
  isValidSpanId,
  isValidTraceId,
  logs,
  SeverityNumber,
  trace,
} from "@opentelemetry/api";
import type { Config } from "../../config.ts";
import { throttleRepeats } from "./log-throttle.ts";
import { SECRET_NAME } from "./redaction.ts";

export type { Logger };

const severity: Record<LogLevel, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

function renderMessage(parts: readonly unknown[]): string {
  let text = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    text += i % 2 === 0 || typeof part === "string" ? String(part) : JSON.stringify(part);
  }
  return text;
}

/** What every log line written while serving one request carries, whoever writes it. */
export interface RequestLogContext {
  requestId: string;
  userAgent?: string;
}

const requestScope = new AsyncLocalStorage<RequestLogContext>();

/**
 * Runs `work` so that every log line written during it carries this request's `requestId`: the
 * service's own lines and those of libraries that log through LogTape. Fedify wraps each request it
 * handles in its own LogTape context with its own request id (`X-Request-Id`, else the traceparent's
 * trace id, else a random `req_…`); the service's id replaces it, so one request has one id in every line.
 */
export function withRequestLogContext<T>(request: RequestLogContext, work: () => T): T {
  return requestScope.run(request, work);
}

/**
 * Adds the request's id and the active span's ids while the record is still in the caller's context,
 * then fans out. An invalid span context (the all-zero ids of a no-op tracer: tracing off, W3C Trace
 * Context §3.2.2.3) correlates nothing and is left out. Disposing the sink disposes its targets, so
 * the buffered stdout lines are flushed when logging is reset at shutdown.
 */
function withTraceContext(sinks: (Sink & Partial<AsyncDisposable>)[]): Sink & AsyncDisposable {
  const sink = (record: LogRecord) => {
    const request = requestScope.getStore();
    const spanContext = trace.getActiveSpan()?.spanContext();
    const valid = spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
    const { traceId, spanId } = record.properties;
    // Libraries put ids in their own context too (Fedify does, all zeros when tracing is off).
    const invalidIds =
      (traceId !== undefined && !isValidTraceId(String(traceId))) ||
      (spanId !== undefined && !isValidSpanId(String(spanId)));
    if (!request && !valid && !invalidIds) {
      for (const target of sinks) target(record);
      return;
    }
    const properties: Record<string, unknown> = { ...record.properties };
    if (invalidIds) {
      delete properties.traceId;
      delete properties.spanId;
    }
    if (request) {
      properties.requestId = request.requestId;
      if (request.userAgent !== undefined && properties.userAgent === undefined) {
        properties.userAgent = request.userAgent;
      }
    }
    if (valid) {
      properties.traceId = valid.traceId;
      properties.spanId = valid.spanId;
    }
    const enriched: LogRecord = { ...record, properties };
    for (const target of sinks) target(enriched);
  };
  return Object.assign(sink, {
    async [Symbol.asyncDispose]() {
      for (const target of sinks) await target[Symbol.asyncDispose]?.();
    },
  });
}

/** Emits each record as an OTLP log record through the SDK's LoggerProvider, tied to the active span. */
function otelSink(): Sink {
  const otel = logs.getLogger("fediflow-api");
  return (record) => {
    const { traceId: _t, spanId: _s, ...attributes } = record.properties;
    otel.emit({
      timestamp: record.timestamp,
      severityNumber: severity[record.level],
      severityText: record.level.toUpperCase(),
      body: renderMessage(record.message),
      attributes: { ...(attributes as Record<string, AnyValue>), "log.category": record.category.join(".") },
      context: context.active(),
    });
  };
}

/** The spec's JSON line: fixed leading fields, then whatever the record carries. */
function jsonLine(service: Config["service"]) {
  return (record: LogRecord): string =>
    `${JSON.stringify({
      timestamp: new Date(record.timestamp).toISOString(),
      level: record.level === "warning" ? "warn" : record.level,
      message: renderMessage(record.message),
      service: service.name,
      version: service.version,
      ...record.properties,
    })}\n`;
}

/** Identical warning/error lines within this window are written once (see log-throttle.ts). */
const REPEAT_WINDOW_MS = 10_000;

/**
 * Configures LogTape once: JSON lines on stdout written in the background (a log call never waits for
 * I/O), OTLP log records through the SDK, secrets redacted before either sees the record, and repeated
 * identical warnings (one per request during an outage) collapsed.
 */
export async function configureLogging(
  config: Pick<Config, "logLevel" | "service">,
): Promise<() => Promise<void>> {
  const stdout = getStreamSink(Writable.toWeb(process.stdout) as WritableStream, {
    formatter: jsonLine(config.service),
    nonBlocking: { bufferSize: 1000, flushInterval: 50 },
    closeStream: false,
  });
  const main = throttleRepeats(
    redactByField(withTraceContext([stdout, otelSink()]), [SECRET_NAME]),
    REPEAT_WINDOW_MS,
  );
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { main },
    loggers: [
      { category: ["fediflow"], sinks: ["main"], lowestLevel: config.logLevel },
      { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
      // Fedify logs a line for every request it does not handle at lower levels.
      { category: ["fedify"], sinks: ["main"], lowestLevel: "warning" },
    ],
  });
  return async () => {
    await reset();
  };
}

export function appLogger(...category: string[]): Logger {
  return getLogger(["fediflow", ...category]);
}

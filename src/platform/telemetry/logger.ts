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
import { type AnyValue, context, logs, SeverityNumber, trace } from "@opentelemetry/api";
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

/**
 * Adds the active span's ids while the record is still in the caller's context, then fans out. Disposing
 * it disposes the sinks, so the buffered stdout lines are flushed when logging is reset at shutdown.
 */
function withTraceContext(sinks: (Sink & Partial<AsyncDisposable>)[]): Sink & AsyncDisposable {
  const sink = (record: LogRecord) => {
    const spanContext = trace.getActiveSpan()?.spanContext();
    const enriched: LogRecord = spanContext
      ? {
          ...record,
          properties: { ...record.properties, traceId: spanContext.traceId, spanId: spanContext.spanId },
        }
      : record;
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

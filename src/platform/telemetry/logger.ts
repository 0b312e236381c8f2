import { AsyncLocalStorage } from "node:async_hooks";
import {
  configure,
  getLogger,
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
import { createLineWriter } from "./line-writer.ts";
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
 * What every log line written while serving one request carries, whoever writes it: the request's id and
 * user agent from the start, its tenant and user once they are known (addRequestLogFields).
 */
export interface RequestLogContext {
  requestId: string;
  userAgent?: string;
  tenantId?: string;
  userId?: string;
}

const requestScope = new AsyncLocalStorage<RequestLogContext>();

/**
 * Runs `work` so that every log line written during it carries this request's `requestId` (and the
 * other fields of `request`): the service's own lines and those of libraries that log through LogTape.
 * Fedify wraps each request it handles in its own LogTape context with its own request id
 * (`X-Request-Id`, else the traceparent's trace id, else a random `req_…`); the service's id replaces
 * it, so one request has one id in every line. `request` is this request's own object: fields added
 * later with addRequestLogFields() appear in every line written from then on.
 */
export function withRequestLogContext<T>(request: RequestLogContext, work: () => T): T {
  return requestScope.run(request, work);
}

/**
 * Adds the tenant or user to the log context of the request being served (a no-op outside one). One
 * field set per request instead of a child logger per request: each `logger.with()` cost a LoggerCtx
 * and a property merge per line.
 */
export function addRequestLogFields(fields: Pick<RequestLogContext, "tenantId" | "userId">): void {
  const request = requestScope.getStore();
  if (request) Object.assign(request, fields);
}

/** A record's own property wins over the request's (a line about another tenant names that tenant). */
const REQUEST_FIELDS = ["userAgent", "tenantId", "userId"] as const;

/**
 * The record with the request's fields and the active span's ids, taken while it is still in the
 * caller's context. An invalid span context (the all-zero ids of a no-op tracer: tracing off, W3C Trace
 * Context §3.2.2.3) correlates nothing and is left out.
 */
function correlated(record: LogRecord): LogRecord {
  const request = requestScope.getStore();
  const spanContext = trace.getActiveSpan()?.spanContext();
  const valid = spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
  const { traceId, spanId } = record.properties;
  // Libraries put ids in their own context too (Fedify does, all zeros when tracing is off).
  const invalidIds =
    (traceId !== undefined && !isValidTraceId(String(traceId))) ||
    (spanId !== undefined && !isValidSpanId(String(spanId)));
  if (!request && !valid && !invalidIds) return record;
  const properties: Record<string, unknown> = { ...record.properties };
  if (invalidIds) {
    delete properties.traceId;
    delete properties.spanId;
  }
  if (request) {
    properties.requestId = request.requestId;
    for (const field of REQUEST_FIELDS) {
      if (request[field] !== undefined && properties[field] === undefined) properties[field] = request[field];
    }
  }
  if (valid) {
    properties.traceId = valid.traceId;
    properties.spanId = valid.spanId;
  }
  return { ...record, properties };
}

const SEVERITY_TEXT: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "FATAL",
};
const categoryNames = new WeakMap<readonly string[], string>();

/** The record as an OTLP log record through the SDK's LoggerProvider, tied to the active span. */
function otlpRecord(record: LogRecord, message: string) {
  const attributes: Record<string, AnyValue> = {};
  const { properties } = record;
  for (const key in properties) {
    if (key !== "traceId" && key !== "spanId") attributes[key] = properties[key] as AnyValue;
  }
  let category = categoryNames.get(record.category);
  if (category === undefined) {
    category = record.category.join(".");
    categoryNames.set(record.category, category);
  }
  attributes["log.category"] = category;
  return {
    timestamp: record.timestamp,
    severityNumber: severity[record.level],
    severityText: SEVERITY_TEXT[record.level],
    body: message,
    attributes,
    context: context.active(),
  };
}

/**
 * The spec's JSON line: its fields in the spec's order (those a record lacks are left out: JSON drops
 * undefined), then whatever else the record carries.
 */
function jsonLine(service: Config["service"], record: LogRecord, message: string): string {
  const { properties } = record;
  return `${JSON.stringify({
    timestamp: new Date(record.timestamp).toISOString(),
    level: record.level === "warning" ? "warn" : record.level,
    message,
    service: service.name,
    version: service.version,
    tenantId: properties.tenantId,
    userId: properties.userId,
    traceId: properties.traceId,
    spanId: properties.spanId,
    requestId: properties.requestId,
    userAgent: properties.userAgent,
    ...properties,
  })}\n`;
}

/**
 * The one sink behind every logger: correlates the record, renders its message once and hands the
 * same record to both outputs — a JSON line on stdout (batched, see line-writer.ts) and an OTLP log
 * record. Disposing it flushes the queued stdout lines (logging is reset at shutdown).
 */
function outputs(service: Config["service"]): Sink & AsyncDisposable {
  const otel = logs.getLogger("fediflow-api");
  const stdout = createLineWriter(process.stdout, {
    flushIntervalMs: 50,
    batchLines: 1000,
    maxPendingBytes: 8 * 1024 * 1024,
    droppedNotice: (count) =>
      jsonLine(
        service,
        {
          category: ["fediflow", "logging"],
          level: "warning",
          message: [],
          rawMessage: "",
          timestamp: Date.now(),
          properties: { droppedLogLines: count },
        },
        `${count} log lines were dropped: stdout was not being read`,
      ),
  });
  const sink = (raw: LogRecord) => {
    const record = correlated(raw);
    const message = renderMessage(record.message);
    stdout.write(jsonLine(service, record, message));
    otel.emit(otlpRecord(record, message));
  };
  return Object.assign(sink, { [Symbol.asyncDispose]: () => stdout.flush() });
}

const secretVerdicts = new Map<string, boolean>();
/** Whether a property name is a secret's (memoised: property names are a small, fixed set). */
function secretName(key: string): boolean {
  let verdict = secretVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SECRET_NAME.test(key);
    if (secretVerdicts.size < 10_000) secretVerdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * `@logtape/redaction`'s field redaction, skipped for the records it would return unchanged: flat
 * properties none of which is named like a secret (an access log line, nearly every record). Anything
 * nested, or any secret-named property, goes through the library, which walks and rewrites the record
 * and its message (it copies the record and parses its template each time: most of a log call's cost).
 */
function redactSecrets(sink: Sink & AsyncDisposable): Sink & AsyncDisposable {
  const redacting = redactByField(sink, [SECRET_NAME]);
  const needsRedaction = (properties: Record<string, unknown>) => {
    for (const key in properties) {
      const value = properties[key];
      if (secretName(key) || (value !== null && typeof value === "object")) return true;
    }
    return false;
  };
  const redacted = (record: LogRecord) =>
    needsRedaction(record.properties) ? redacting(record) : sink(record);
  return Object.assign(redacted, { [Symbol.asyncDispose]: () => sink[Symbol.asyncDispose]() });
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
  const main = throttleRepeats(redactSecrets(outputs(config.service)), REPEAT_WINDOW_MS);
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

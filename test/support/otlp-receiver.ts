/**
 * A real OTLP/HTTP receiver for tests: an HTTP server on 127.0.0.1 (free port) accepting
 * POST /v1/traces, /v1/logs and /v1/metrics as application/x-protobuf or application/json,
 * optionally gzip/deflate-encoded, decoded into a flat, typed view.
 *
 * Proto source: the .proto files of open-telemetry/opentelemetry-proto (v1.4.0) as vendored,
 * unmodified, by the npm package `@elastic/mockotlpserver` (Elastic's OTLP mock server for
 * tests, devDependency). They are parsed at runtime with protobufjs, so no field number is
 * written by hand here. Current @opentelemetry/otlp-transformer no longer ships .proto files or a
 * generated root (its protobuf writer is hand-written), and the old versions that did would clash
 * by name with the installed one and pull a second, older SDK. Fields newer than v1.4.0 (e.g.
 * LogRecord.event_name) are unknown to these protos and skipped by the decoder.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gunzipSync, inflateSync } from "node:zlib";
import protobuf from "protobufjs";

// ---------------------------------------------------------------------------------------------
// Public, flat view of what was received.

export type Signal = "traces" | "logs" | "metrics";
export type Attributes = Record<string, unknown>;
export type SpanKindName = "UNSPECIFIED" | "INTERNAL" | "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** undefined for root spans */
  parentSpanId: string | undefined;
  name: string;
  /** OTLP span kind name, e.g. "SERVER" (note: OTLP numbering differs from the API's SpanKind enum). */
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  /** code: 0 UNSET, 1 OK, 2 ERROR (same numbers as the API's SpanStatusCode) */
  status: { code: number; message: string };
  events: { name: string; timeUnixNano: bigint; attributes: Attributes }[];
  links: { traceId: string; spanId: string; attributes: Attributes }[];
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
}

export interface ReceivedLog {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityText: string;
  severityNumber: number;
  body: unknown;
  attributes: Attributes;
  traceId: string | undefined;
  spanId: string | undefined;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
}

export interface ReceivedMetric {
  name: string;
  resource: Attributes;
  scopeName: string;
}

export interface ReceivedData {
  spans: readonly ReceivedSpan[];
  logs: readonly ReceivedLog[];
  metrics: readonly ReceivedMetric[];
  requests: Readonly<Record<Signal, number>>;
  errors: readonly string[];
}

/**
 * How the receiver answers export requests:
 * - "accept": decode, store, answer 200 (default);
 * - { status, retryAfterSeconds? }: answer that status (e.g. 503) without storing anything;
 * - "hang": never answer (the request stays open until the exporter gives up or close() is called).
 * Requests are counted in `requests` whatever the behavior.
 */
export type ReceiverBehavior = "accept" | "hang" | { status: number; retryAfterSeconds?: number };

export interface OtlpReceiverOptions {
  behavior?: ReceiverBehavior;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the rejection message. */
  description?: string;
}

// ---------------------------------------------------------------------------------------------
// Proto loading (once per process).

const PROTO_FILES = [
  "opentelemetry/proto/collector/trace/v1/trace_service.proto",
  "opentelemetry/proto/collector/logs/v1/logs_service.proto",
  "opentelemetry/proto/collector/metrics/v1/metrics_service.proto",
];
const REQUEST_TYPES: Record<Signal, string> = {
  traces: "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
  logs: "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest",
  metrics: "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest",
};

interface Protos {
  requestTypes: Record<Signal, protobuf.Type>;
  spanKinds: Record<number, string>;
}
let protos: Protos | undefined;

function loadProtos(): Protos {
  if (protos) return protos;
  const require = createRequire(import.meta.url);
  const protoDir = path.dirname(require.resolve("@elastic/mockotlpserver/package.json"));
  const root = new protobuf.Root();
  // Imports inside the files are relative to the proto root ("opentelemetry/proto/...").
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
  root.loadSync(PROTO_FILES);
  protos = {
    requestTypes: {
      traces: root.lookupType(REQUEST_TYPES.traces),
      logs: root.lookupType(REQUEST_TYPES.logs),
      metrics: root.lookupType(REQUEST_TYPES.metrics),
    },
    spanKinds: root.lookupEnum("opentelemetry.proto.trace.v1.Span.SpanKind").valuesById,
  };
  return protos;
}

// Shapes produced by Type.toObject({ longs: BigInt, arrays: true, defaults: true, oneofs: true }).
interface PbAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: bigint;
  doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] };
  kvlistValue?: { values: PbKeyValue[] };
  bytesValue?: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbResource {
  attributes: PbKeyValue[];
}
interface PbScope {
  name: string;
  version: string;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: PbKeyValue[];
  events: { name: string; timeUnixNano: bigint; attributes: PbKeyValue[] }[];
  links: { traceId: Uint8Array; spanId: Uint8Array; attributes: PbKeyValue[] }[];
  status: { code: number; message: string } | null;
}
interface PbLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: PbAnyValue | null;
  attributes: PbKeyValue[];
  traceId: Uint8Array;
  spanId: Uint8Array;
}
interface PbTraceRequest {
  resourceSpans: { resource: PbResource | null; scopeSpans: { scope: PbScope | null; spans: PbSpan[] }[] }[];
}
interface PbLogsRequest {
  resourceLogs: {
    resource: PbResource | null;
    scopeLogs: { scope: PbScope | null; logRecords: PbLogRecord[] }[];
  }[];
}
interface PbMetricsRequest {
  resourceMetrics: {
    resource: PbResource | null;
    scopeMetrics: { scope: PbScope | null; metrics: { name: string }[] }[];
  }[];
}

function flattenValue(v: PbAnyValue | null | undefined): unknown {
  if (!v?.value) return undefined;
  switch (v.value) {
    case "intValue": {
      const n = v.intValue ?? 0n;
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case "arrayValue":
      return (v.arrayValue?.values ?? []).map(flattenValue);
    case "kvlistValue":
      return flattenAttributes(v.kvlistValue?.values);
    default:
      return v[v.value as keyof PbAnyValue];
  }
}

function flattenAttributes(kvs: PbKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of kvs ?? []) out[kv.key] = flattenValue(kv.value);
  return out;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString("hex");
const optionalHex = (b: Uint8Array | undefined): string | undefined => (b?.length ? hex(b) : undefined);

/** OTLP/JSON encodes trace/span ids as hex (not base64 as protobuf JSON would): turn them into bytes. */
function hexIdsToBytes(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) hexIdsToBytes(item);
  } else if (node && typeof node === "object") {
    const obj = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(obj)) {
      if ((key === "traceId" || key === "spanId" || key === "parentSpanId") && typeof value === "string") {
        obj[key] = Buffer.from(value, "hex");
      } else {
        hexIdsToBytes(value);
      }
    }
  }
}

function decodeBody(signal: Signal, body: Buffer, json: boolean): unknown {
  const type = loadProtos().requestTypes[signal];
  let message: protobuf.Message;
  if (json) {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    hexIdsToBytes(parsed);
    message = type.fromObject(parsed as Record<string, unknown>);
  } else {
    message = type.decode(body);
  }
  return type.toObject(message, { longs: BigInt, arrays: true, defaults: true, oneofs: true });
}

// ---------------------------------------------------------------------------------------------
// The receiver.

const SIGNAL_PATHS: Record<string, Signal> = {
  "/v1/traces": "traces",
  "/v1/logs": "logs",
  "/v1/metrics": "metrics",
};

export class OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT (append /v1/traces etc., or use `endpoints`). */
  readonly url: string;
  readonly endpoints: Readonly<Record<Signal, string>>;
  spans: ReceivedSpan[] = [];
  logs: ReceivedLog[] = [];
  metrics: ReceivedMetric[] = [];
  /** Export requests received per signal, whatever the answer. */
  requests: Record<Signal, number> = { traces: 0, logs: 0, metrics: 0 };
  /** Requests the receiver could not decode or did not accept (answered 4xx). */
  errors: string[] = [];
  behavior: ReceiverBehavior;

  readonly #server: Server;
  readonly #hanging = new Set<ServerResponse>();

  /** Use startOtlpReceiver(). */
  constructor(server: Server, behavior: ReceiverBehavior) {
    this.#server = server;
    this.behavior = behavior;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.endpoints = {
      traces: `${this.url}/v1/traces`,
      logs: `${this.url}/v1/logs`,
      metrics: `${this.url}/v1/metrics`,
    };
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.errors.push(`internal error: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  setBehavior(behavior: ReceiverBehavior): void {
    this.behavior = behavior;
  }

  /** Snapshot-free view passed to waitFor predicates. */
  get data(): ReceivedData {
    return {
      spans: this.spans,
      logs: this.logs,
      metrics: this.metrics,
      requests: this.requests,
      errors: this.errors,
    };
  }

  /** Clears received data, counters and errors (the behavior is kept). */
  reset(): void {
    this.spans = [];
    this.logs = [];
    this.metrics = [];
    this.requests = { traces: 0, logs: 0, metrics: 0 };
    this.errors = [];
  }

  /**
   * Polls until `predicate` returns a truthy value, and resolves with it. A predicate that throws
   * (e.g. an assert) counts as "not yet"; its last error is reported on timeout.
   */
  async waitFor<T>(
    predicate: (data: ReceivedData) => T | undefined | null | false,
    options: WaitForOptions = {},
  ): Promise<T> {
    const { timeoutMs = 5000, intervalMs = 20, description } = options;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const result = predicate(this.data);
        if (result) return result;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    const lines = [
      `OtlpReceiver.waitFor timed out after ${timeoutMs}ms${description ? ` waiting for ${description}` : ""}.`,
      ...(lastError
        ? [`Last predicate error: ${lastError instanceof Error ? lastError.message : String(lastError)}`]
        : []),
      this.summary(),
    ];
    throw new Error(lines.join("\n"));
  }

  /** Human-readable digest of what was received (used in waitFor failures). */
  summary(maxItems = 20): string {
    const list = <T>(items: readonly T[], fmt: (item: T) => string): string[] => [
      ...items.slice(0, maxItems).map((item) => `    - ${fmt(item)}`),
      ...(items.length > maxItems ? [`    ... and ${items.length - maxItems} more`] : []),
    ];
    const { traces, logs, metrics } = this.requests;
    return [
      `Received requests: traces=${traces} logs=${logs} metrics=${metrics}; behavior=${JSON.stringify(this.behavior)}`,
      `  ${this.spans.length} span(s):`,
      ...list(
        this.spans,
        (s) =>
          `${s.name} [${s.kind}] trace=${s.traceId} span=${s.spanId} parent=${s.parentSpanId ?? "-"} status=${s.status.code} attrs=${stringify(s.attributes)}`,
      ),
      `  ${this.logs.length} log(s):`,
      ...list(
        this.logs,
        (l) =>
          `${l.severityText || l.severityNumber} ${stringify(l.body)} trace=${l.traceId ?? "-"} attrs=${stringify(l.attributes)}`,
      ),
      `  ${this.metrics.length} metric(s): ${this.metrics
        .slice(0, maxItems)
        .map((m) => m.name)
        .join(", ")}`,
      ...(this.errors.length ? [`  errors:`, ...list(this.errors, (e) => e)] : []),
    ].join("\n");
  }

  /** Stops the server, dropping hung requests and keep-alive connections. */
  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    const closed = new Promise<void>((resolve, reject) =>
      this.#server.close((err) => (err ? reject(err) : resolve())),
    );
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = SIGNAL_PATHS[new URL(req.url ?? "/", "http://x").pathname];
    if (!signal) return this.#reject(res, 404, `unknown path ${req.method} ${req.url}`);
    if (req.method !== "POST") return this.#reject(res, 405, `method ${req.method} on ${req.url}`);
    this.requests[signal]++;

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);

    const behavior = this.behavior;
    if (behavior === "hang") {
      this.#hanging.add(res);
      res.on("close", () => this.#hanging.delete(res));
      return;
    }
    if (behavior !== "accept") {
      const headers: Record<string, string> = {};
      if (behavior.retryAfterSeconds !== undefined)
        headers["retry-after"] = String(behavior.retryAfterSeconds);
      res.writeHead(behavior.status, headers).end();
      return;
    }

    const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    const json = contentType === "application/json";
    if (!json && contentType !== "application/x-protobuf" && contentType !== "application/protobuf") {
      return this.#reject(res, 415, `unsupported content-type "${contentType}" on ${req.url}`);
    }
    let body = Buffer.concat(chunks);
    const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase();
    try {
      if (encoding === "gzip") body = gunzipSync(body);
      else if (encoding === "deflate") body = inflateSync(body);
      else if (encoding !== "identity" && encoding !== "none") {
        return this.#reject(res, 415, `unsupported content-encoding "${encoding}"`);
      }
      this.#store(signal, decodeBody(signal, body, json));
    } catch (err) {
      return this.#reject(res, 400, `cannot decode ${signal} (${contentType}, ${encoding}): ${String(err)}`);
    }
    // An empty Export*ServiceResponse means full success (empty bytes in protobuf, {} in JSON).
    res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
    res.end(json ? "{}" : undefined);
  }

  #reject(res: ServerResponse, status: number, message: string): void {
    this.errors.push(message);
    res.writeHead(status, { "content-type": "text/plain" }).end(message);
  }

  #store(signal: Signal, decoded: unknown): void {
    if (signal === "traces") {
      const kinds = loadProtos().spanKinds;
      for (const rs of (decoded as PbTraceRequest).resourceSpans) {
        const resource = flattenAttributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            this.spans.push({
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: optionalHex(s.parentSpanId),
              name: s.name,
              kind: (kinds[s.kind] ?? "SPAN_KIND_UNSPECIFIED").replace("SPAN_KIND_", "") as SpanKindName,
              startTimeUnixNano: s.startTimeUnixNano,
              endTimeUnixNano: s.endTimeUnixNano,
              attributes: flattenAttributes(s.attributes),
              status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
              events: s.events.map((e) => ({
                name: e.name,
                timeUnixNano: e.timeUnixNano,
                attributes: flattenAttributes(e.attributes),
              })),
              links: s.links.map((l) => ({
                traceId: hex(l.traceId),
                spanId: hex(l.spanId),
                attributes: flattenAttributes(l.attributes),
              })),
              resource,
              scopeName: ss.scope?.name ?? "",
              scopeVersion: ss.scope?.version ?? "",
            });
          }
        }
      }
    } else if (signal === "logs") {
      for (const rl of (decoded as PbLogsRequest).resourceLogs) {
        const resource = flattenAttributes(rl.resource?.attributes);
        for (const sl of rl.scopeLogs) {
          for (const l of sl.logRecords) {
            this.logs.push({
              timeUnixNano: l.timeUnixNano,
              observedTimeUnixNano: l.observedTimeUnixNano,
              severityText: l.severityText,
              severityNumber: l.severityNumber,
              body: flattenValue(l.body),
              attributes: flattenAttributes(l.attributes),
              traceId: optionalHex(l.traceId),
              spanId: optionalHex(l.spanId),
              resource,
              scopeName: sl.scope?.name ?? "",
              scopeVersion: sl.scope?.version ?? "",
            });
          }
        }
      }
    } else {
      for (const rm of (decoded as PbMetricsRequest).resourceMetrics) {
        const resource = flattenAttributes(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics) {
          for (const m of sm.metrics)
            this.metrics.push({ name: m.name, resource, scopeName: sm.scope?.name ?? "" });
        }
      }
    }
  }
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "undefined";
}

/** Starts a receiver on 127.0.0.1 with a free port. Always `await receiver.close()` when done. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  loadProtos();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return new OtlpReceiver(server, options.behavior ?? "accept");
}

/**
 * Reading each backend through its own API: Jaeger's query API (/api/traces), Prometheus' HTTP API
 * (/api/v1/query, /api/v1/query_exemplars), Elasticsearch's search API, and the Collector's own
 * Prometheus endpoint.
 */
import { getJson } from "./processes.ts";

// ---------------------------------------------------------------------------------------------
// Jaeger

export interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  duration: number;
  tags: JaegerTag[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

export const tag = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;

/** Traces of `service` in the last hour, optionally filtered by operation and span tags. */
export async function findTraces(
  queryUrl: string,
  service: string,
  filter: { operation?: string; tags?: Record<string, string>; limit?: number } = {},
): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({
    service,
    limit: String(filter.limit ?? 1000),
    start: String((Date.now() - 3_600_000) * 1000),
    end: String((Date.now() + 60_000) * 1000),
  });
  if (filter.operation) params.set("operation", filter.operation);
  if (filter.tags) params.set("tags", JSON.stringify(filter.tags));
  const body = await getJson<{ data: JaegerTrace[] | null }>(`${queryUrl}/api/traces?${params}`);
  return body.data ?? [];
}

/** The trace with `traceId`, or undefined when Jaeger does not know it. */
export async function getTrace(queryUrl: string, traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${queryUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/traces/${traceId} answered ${response.status}: ${text}`);
  return (JSON.parse(text) as { data: JaegerTrace[] }).data[0];
}

/** The SERVER span whose http.request.id is `requestId`, searched by tag. */
export async function serverSpanByRequestId(
  queryUrl: string,
  service: string,
  requestId: string,
): Promise<{ trace: JaegerTrace; span: JaegerSpan } | undefined> {
  const traces = await findTraces(queryUrl, service, { tags: { "http.request.id": requestId }, limit: 5 });
  for (const trace of traces) {
    const span = trace.spans.find(
      (s) => tag(s, "http.request.id") === requestId && tag(s, "span.kind") === "server",
    );
    if (span) return { trace, span };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Prometheus

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(url: string, query: string): Promise<PromSeries[]> {
  const body = await getJson<{ status: string; data: { result: PromSeries[] } }>(
    `${url}/api/v1/query?${new URLSearchParams({ query })}`,
  );
  return body.data.result;
}

export interface PromExemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export async function promExemplars(url: string, query: string): Promise<PromExemplars[]> {
  const now = Date.now() / 1000;
  const params = new URLSearchParams({ query, start: String(now - 3600), end: String(now + 60) });
  const body = await getJson<{ data: PromExemplars[] | null }>(`${url}/api/v1/query_exemplars?${params}`);
  return body.data ?? [];
}

// ---------------------------------------------------------------------------------------------
// Elasticsearch

export type EsDocument = Record<string, unknown> & { _index: string };

/** Every document of the fediflow-logs-* indices (refreshed first, so what was indexed is searchable). */
export async function logDocuments(url: string): Promise<EsDocument[]> {
  await fetch(`${url}/fediflow-logs-*/_refresh`, { method: "POST", signal: AbortSignal.timeout(10_000) });
  const body = await getJson<{ hits: { hits: { _index: string; _source: Record<string, unknown> }[] } }>(
    `${url}/fediflow-logs-*/_search?allow_no_indices=true`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ size: 5000, query: { match_all: {} } }),
    },
  );
  return body.hits.hits.map((hit) => ({ ...hit._source, _index: hit._index }));
}

/** A field by dotted path, whether the document stores it dotted ("a.b") or nested ({a:{b}}). */
export function field(doc: Record<string, unknown>, path: string): unknown {
  if (path in doc) return doc[path];
  const dot = path.indexOf(".");
  for (let i = dot; i > 0; i = path.indexOf(".", i + 1)) {
    const head = doc[path.slice(0, i)];
    if (head && typeof head === "object") {
      const found = field(head as Record<string, unknown>, path.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Every [key path, value] leaf of a document. */
export function leaves(value: unknown, prefix = ""): [string, unknown][] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value]];
}

// ---------------------------------------------------------------------------------------------
// The Collector's own metrics (Prometheus text from service.telemetry)

/**
 * Sum of the samples of `name` whose labels contain every `labels` pair. A counter may be exposed with
 * or without `_total` (the Collector v0.157 exposes `otelcol_receiver_accepted_spans`, older ones
 * `…_total`): pass the name without it and both spellings count; a name that matches no sample throws,
 * so a renamed metric cannot pass as zero — unless `absentIsZero`, for counters the Collector creates
 * at their first increment (otelcol_exporter_send_failed_spans appears when a span is first given up).
 */
export async function collectorMetric(
  telemetryUrl: string,
  name: string,
  labels: Record<string, string> = {},
  options: { absentIsZero?: boolean } = {},
): Promise<number> {
  const response = await fetch(telemetryUrl, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    const spelling = [name, `${name}_total`].find(
      (n) => line.startsWith(`${n}{`) || line.startsWith(`${n} `),
    );
    if (!spelling) continue;
    found = true;
    const labelText = line.slice(spelling.length, line.lastIndexOf("}") + 1);
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  if (!found && !options.absentIsZero) throw new Error(`${telemetryUrl} exposes no ${name}`);
  return sum;
}

// PromQL helpers shared by the consistency tests: parse expressions with the Prometheus project's
// own grammar (@prometheus-io/lezer-promql), list the metric names an expression reads, and collect
// every expression of the rule files and Grafana dashboards.
//
// metricNames() returns names exactly as they appear in a /metrics scrape (histogram series keep
// their _bucket/_sum/_count suffix), so a live scrape can be checked against them:
//   const scraped = new Set(text.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/gm));
//   for (const e of collectAll()) for (const n of metricNames(e.expr)) ...
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { loadRules, ROOT } from "./support.ts";

/** Metrics the FediFlow API exports (names as scraped). */
export const SERVICE_METRICS: readonly string[] = [
  "http_request_duration_seconds_bucket",
  "http_request_duration_seconds_sum",
  "http_request_duration_seconds_count",
  "http_requests_total",
  "federation_activities_total",
  "federation_delivery_failures_total",
  "federation_instances_connected",
  "federation_queue_depth",
  "federation_queue_oldest_age_seconds",
  "database_connections_active",
  "database_connections_max",
  "database_connections_waiting",
  "user_sessions_total",
  "course_enrollments_total",
  "content_created_total",
  "nodejs_eventloop_lag_seconds",
  "nodejs_eventloop_lag_p99_seconds",
  "process_resident_memory_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_heap_size_total_bytes",
  "nodejs_gc_duration_seconds_bucket",
  "nodejs_gc_duration_seconds_sum",
  "nodejs_gc_duration_seconds_count",
  "process_cpu_seconds_total",
  "telemetry_export_failures_total",
];

/** Prefixes of the exporters' metrics (node-exporter, postgres-exporter, ...). */
export const EXPORTER_PREFIXES: readonly string[] = ["node_", "pg_", "redis_", "otelcol_", "alertmanager_"];

/** Series Prometheus itself produces. */
export const PROMETHEUS_SERIES: readonly string[] = ["up", "ALERTS", "ALERTS_FOR_STATE"];

const DURATION_VARIABLES: Record<string, string> = {
  __rate_interval: "5m",
  __interval: "1m",
  __range: "1h",
};
const NUMBER_VARIABLES: Record<string, string> = {
  __interval_ms: "60000",
  __range_s: "3600",
  __range_ms: "3600000",
};

/**
 * Replaces Grafana variables with values that keep the expression valid PromQL: built-in
 * durations ($__rate_interval -> 5m), built-in numbers ($__range_s -> 3600), and dashboard
 * variables ($tenant, ${route}, ${instance:regex}, [[x]]) with "x" (they stand inside label values).
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(
    /\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g,
    (_m, a?: string, b?: string, c?: string) => {
      const name = (a ?? b ?? c) as string;
      return DURATION_VARIABLES[name] ?? NUMBER_VARIABLES[name] ?? "x";
    },
  );
}

export class PromQLSyntaxError extends Error {}

type SyntaxNode = ReturnType<ReturnType<typeof parser.parse>["resolve"]>;

/** Parses PromQL; throws PromQLSyntaxError pointing at every error node. */
export function parsePromQL(expr: string) {
  const tree = parser.parse(expr);
  const errors: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
    },
  });
  if (errors.length || expr.trim() === "") {
    const at = errors.map(
      (pos) => `at ${pos}: ${JSON.stringify(expr.slice(Math.max(0, pos - 20), pos + 20))}`,
    );
    throw new PromQLSyntaxError(`invalid PromQL ${at.join("; ") || "(empty)"}\n${expr}`);
  }
  return tree;
}

function text(expr: string, node: SyntaxNode | null): string {
  return node ? expr.slice(node.from, node.to) : "";
}

function unquote(literal: string): string {
  if (literal.startsWith("`")) return literal.slice(1, -1);
  if (literal.startsWith("'")) return JSON.parse(`"${literal.slice(1, -1).replace(/"/g, '\\"')}"`);
  return JSON.parse(literal);
}

/**
 * Metric names read by a PromQL expression: vector selectors' names and `__name__="..."`
 * matchers. A `__name__=~"..."` regex matcher is returned as `~<regex>`.
 */
export function metricNames(expr: string): string[] {
  const tree = parsePromQL(expr);
  const names = new Set<string>();
  tree.iterate({
    enter(ref) {
      if (ref.name !== "VectorSelector") return;
      const node = ref.node;
      const id = node.getChild("Identifier");
      if (id) names.add(text(expr, id));
      for (const m of node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        if (text(expr, m.getChild("LabelName")) !== "__name__") continue;
        const op = text(expr, m.getChild("MatchOp"));
        const value = unquote(text(expr, m.getChild("StringLiteral")));
        if (op === "=") names.add(value);
        else if (op === "=~") names.add(`~${value}`);
      }
    },
  });
  return [...names].sort();
}

export type SourcedExpr = { source: string; expr: string };

/** Every expr of prometheus/rules/*.yml. */
export function collectRuleExpressions(): SourcedExpr[] {
  return numbered(
    loadRules().map((r) => ({
      source: `${r.file.slice(ROOT.length + 1)} ${r.alert ?? r.record}`,
      expr: r.expr,
    })),
  );
}

/** Makes sources unique ("X", "X #2", "X #3") so that test names are unique. */
function numbered(list: SourcedExpr[]): SourcedExpr[] {
  const seen = new Map<string, number>();
  return list.map((e) => {
    const n = (seen.get(e.source) ?? 0) + 1;
    seen.set(e.source, n);
    return n === 1 ? e : { ...e, source: `${e.source} #${n}` };
  });
}

type DashboardPanel = {
  title?: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: DashboardPanel[];
};
type Dashboard = {
  title?: string;
  panels?: DashboardPanel[];
  templating?: { list?: { name: string; query?: string | { query?: string }; definition?: string }[] };
};

/** The PromQL inside a Grafana variable query (label_values(selector, label), query_result(expr)). */
export function variableQueryExpr(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1];
  const result = /^\s*query_result\(\s*(.+)\s*\)\s*$/s.exec(query);
  if (result) return result[1];
  return undefined;
}

/** Every Prometheus expression of grafana/dashboards/*.json, Grafana variables substituted. */
export function collectDashboardExpressions(dir = join(ROOT, "grafana", "dashboards")): SourcedExpr[] {
  const out: SourcedExpr[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(join(dir, file), "utf8")) as Dashboard;
    const walk = (panels: DashboardPanel[] = []) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) {
          if (t.expr) {
            out.push({
              source: `${file} panel "${p.title}" ${t.refId}`,
              expr: substituteGrafanaVariables(t.expr),
            });
          }
        }
        walk(p.panels);
      }
    };
    walk(dashboard.panels);
    for (const v of dashboard.templating?.list ?? []) {
      const q = typeof v.query === "string" ? v.query : (v.query?.query ?? v.definition ?? "");
      const expr = variableQueryExpr(q);
      if (expr) out.push({ source: `${file} variable $${v.name}`, expr: substituteGrafanaVariables(expr) });
    }
  }
  return numbered(out);
}

/** Is a referenced name something that exists: a service metric, an exporter's, Prometheus' own or a recording rule? */
export function isKnownMetric(name: string, recordingRules: ReadonlySet<string>): boolean {
  if (name.startsWith("~")) return EXPORTER_PREFIXES.some((p) => name.slice(1).startsWith(p));
  return (
    SERVICE_METRICS.includes(name) ||
    PROMETHEUS_SERIES.includes(name) ||
    recordingRules.has(name) ||
    EXPORTER_PREFIXES.some((p) => name.startsWith(p))
  );
}

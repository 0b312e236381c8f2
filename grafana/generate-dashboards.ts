// Dashboards as code: writes grafana/dashboards/*.json from plain TypeScript objects.
//
//   node grafana/generate-dashboards.ts          write the JSON
//   node grafana/generate-dashboards.ts --check  exit 1 if a committed JSON file is stale
//
// The SLO objectives come from prometheus/slo.yaml (through the rules generator), so burn-rate
// panels always divide by the budget the alerts use. test/alerting/grafana.test.ts checks that the
// committed JSON equals this output and that every query parses and names known metrics.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSloConfig, recordName, type SloConfig } from "../prometheus/generate-rules.ts";

export const GRAFANA_DIR = dirname(fileURLToPath(import.meta.url));
export const DASHBOARDS_DIR = join(GRAFANA_DIR, "dashboards");

const DS = { type: "prometheus", uid: "prometheus" } as const;
const JOB = "fediflow-api";
/** Selector of the service's series filtered by the dashboard's instance variable. */
const APP = `job="${JOB}", instance=~"$instance"`;
const RATE = "[$__rate_interval]";

export type Target = {
  expr: string;
  legendFormat?: string;
  format?: "time_series" | "heatmap" | "table";
  exemplar?: boolean;
  instant?: boolean;
};
type PanelSpec = {
  title: string;
  description: string;
  type: "timeseries" | "stat" | "heatmap";
  targets: Target[];
  unit?: string;
  w?: number;
  h?: number;
  min?: number;
  max?: number;
  stack?: boolean;
  thresholds?: { value: number | null; color: string }[];
};
type Row = { title: string; panels: PanelSpec[] };

function fieldConfig(p: PanelSpec): Record<string, unknown> {
  const defaults: Record<string, unknown> = { unit: p.unit ?? "short" };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.thresholds) {
    defaults.thresholds = { mode: "absolute", steps: p.thresholds };
  }
  if (p.type === "timeseries") {
    defaults.custom = {
      drawStyle: "line",
      lineWidth: 1,
      fillOpacity: p.stack ? 30 : 10,
      showPoints: "never",
      spanNulls: false,
      stacking: { mode: p.stack ? "normal" : "none", group: "A" },
      thresholdsStyle: { mode: p.thresholds ? "line" : "off" },
    };
  }
  return { defaults, overrides: [] };
}

function options(p: PanelSpec): Record<string, unknown> {
  switch (p.type) {
    case "stat":
      return {
        reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
        colorMode: "value",
        graphMode: "area",
        justifyMode: "auto",
        orientation: "auto",
        textMode: "auto",
      };
    case "heatmap":
      return {
        calculate: false,
        cellGap: 1,
        color: { mode: "scheme", scheme: "Oranges", steps: 64 },
        yAxis: { axisPlacement: "left", unit: "s" },
        rowsFrame: { layout: "auto" },
        tooltip: { mode: "single", yHistogram: true },
        legend: { show: true },
        exemplars: { color: "rgba(255,0,255,0.7)" },
      };
    default:
      return {
        legend: { displayMode: "list", placement: "bottom", showLegend: true },
        tooltip: { mode: "multi", sort: "desc" },
      };
  }
}

/** Lays rows out on Grafana's 24-column grid, panels left to right, wrapping as needed. */
export function layout(rows: Row[]): Record<string, unknown>[] {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const w = p.w ?? 12;
      const h = p.h ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push({
        id: id++,
        type: p.type,
        title: p.title,
        description: p.description,
        datasource: DS,
        gridPos: { h, w, x, y },
        fieldConfig: fieldConfig(p),
        options: options(p),
        targets: p.targets.map((t, i) => ({
          refId: String.fromCharCode(65 + i),
          datasource: DS,
          expr: t.expr,
          legendFormat: t.legendFormat ?? "__auto",
          range: !t.instant,
          instant: Boolean(t.instant),
          format: t.format ?? "time_series",
          ...(t.exemplar ? { exemplar: true } : {}),
        })),
      });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return panels;
}

function variable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: "query",
    datasource: DS,
    definition: query,
    query: { qryType: 1, query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    sort: 1,
    hide: 0,
    options: [],
    regex: "",
  };
}

/** 0.995 -> "99.5%", without binary floating-point noise. */
function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

function budgetOf(cfg: SloConfig, name: string): number {
  const slo = cfg.slos.find((s) => s.name === name);
  if (!slo) throw new Error(`slo ${name} missing from slo.yaml`);
  return Number((1 - slo.objective).toPrecision(12));
}

function burnRatePanel(cfg: SloConfig, slo: "availability" | "latency"): PanelSpec {
  const budget = budgetOf(cfg, slo);
  const windows = [...new Set(cfg.burn_rates.flatMap((b) => [b.short, b.long]))].sort(
    (a, b) => cfg.windows.indexOf(a) - cfg.windows.indexOf(b),
  );
  const bad = (w: string) =>
    slo === "availability"
      ? `${recordName.errorRatio(w)}{job="${JOB}"}`
      : `(1 - ${recordName.latencySli(w)}{job="${JOB}"})`;
  const factors = [...new Set(cfg.burn_rates.map((b) => b.factor))].sort((a, b) => a - b);
  return {
    title: `${slo === "availability" ? "Availability" : "Latency"} SLO burn rate`,
    description:
      `Error-budget burn rate per window (1 = spending exactly the budget of ${pct(budget)} over the ` +
      `period). Alerts page at ${factors.filter((f) => f >= 6).join("x, ")}x and open tickets at ` +
      `${factors.filter((f) => f < 6).join("x, ")}x when a long and a short window both exceed the factor.`,
    type: "timeseries",
    unit: "x",
    min: 0,
    thresholds: [
      { value: null, color: "green" },
      ...factors.map((f) => ({ value: f, color: f >= 6 ? "red" : "orange" })),
    ],
    targets: windows.map((w) => ({ expr: `${bad(w)} / ${budget}`, legendFormat: w })),
  };
}

/** Collector counters are spelled with _total by recent releases and without it by older ones. */
function otelcolRate(name: string): string {
  return `rate(${name}_total{job="otel-collector"}${RATE}) or rate(${name}{job="otel-collector"}${RATE})`;
}

export function overviewDashboard(cfg: SloConfig): Record<string, unknown> {
  const availabilityBudget = budgetOf(cfg, "availability");
  const latency = cfg.slos.find((s) => s.name === "latency");
  const rows: Row[] = [
    {
      title: "Traffic and latency",
      panels: [
        {
          title: "Request rate",
          description:
            "Requests per second by method and route template (health and metrics endpoints excluded).",
          type: "timeseries",
          unit: "reqps",
          stack: true,
          targets: [
            {
              expr: `sum by (method, route) (rate(http_requests_total{${APP}, route=~"$route"}${RATE}))`,
              legendFormat: "{{method}} {{route}}",
            },
          ],
        },
        {
          title: "Response time",
          description:
            "95th percentile (and median, 99th) from the histogram. Buckets are 1 ms, 10 ms, 100 ms, 1 s, 5 s, " +
            "10 s, so values between bounds are interpolated. Dots are exemplars: click one to open its trace.",
          type: "timeseries",
          unit: "s",
          min: 0,
          targets: [
            {
              expr: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${APP}, route=~"$route"}${RATE})))`,
              legendFormat: "95th percentile",
              exemplar: true,
            },
            {
              expr: `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{${APP}, route=~"$route"}${RATE})))`,
              legendFormat: "median",
            },
            {
              expr: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${APP}, route=~"$route"}${RATE})))`,
              legendFormat: "99th percentile",
            },
          ],
        },
        {
          title: "Federation activity",
          description: "ActivityPub activities processed in the last hour, by outcome.",
          type: "stat",
          unit: "short",
          w: 8,
          targets: [
            {
              expr: `sum by (status) (increase(federation_activities_total{${APP}}[1h]))`,
              legendFormat: "{{status}}",
            },
          ],
        },
        {
          title: "Error ratio",
          description: "Share of requests answered 5xx (server errors) and 4xx (client errors).",
          type: "timeseries",
          unit: "percentunit",
          min: 0,
          w: 16,
          thresholds: [
            { value: null, color: "green" },
            { value: 0.1, color: "red" },
          ],
          targets: [
            {
              expr: `sum(rate(http_requests_total{${APP}, route=~"$route", status_code=~"5.."}${RATE})) / sum(rate(http_requests_total{${APP}, route=~"$route"}${RATE}))`,
              legendFormat: "5xx",
            },
            {
              expr: `sum(rate(http_requests_total{${APP}, route=~"$route", status_code=~"4.."}${RATE})) / sum(rate(http_requests_total{${APP}, route=~"$route"}${RATE}))`,
              legendFormat: "4xx",
            },
          ],
        },
        {
          title: "Latency distribution",
          description: "Requests per latency bucket over time. Exemplars link to traces.",
          type: "heatmap",
          w: 24,
          targets: [
            {
              expr: `sum by (le) (increase(http_request_duration_seconds_bucket{${APP}, route=~"$route"}${RATE}))`,
              legendFormat: "{{le}}",
              format: "heatmap",
              exemplar: true,
            },
          ],
        },
      ],
    },
    {
      title: "Service level objectives",
      panels: [
        {
          title: "Availability (1d)",
          description: `Share of requests not answered 5xx over the last day; objective ${pct(1 - availabilityBudget)}.`,
          type: "stat",
          unit: "percentunit",
          w: 6,
          h: 6,
          thresholds: [
            { value: null, color: "red" },
            { value: 1 - availabilityBudget, color: "green" },
          ],
          targets: [
            { expr: `1 - ${recordName.errorRatio("1d")}{job="${JOB}"}`, legendFormat: "availability" },
          ],
        },
        {
          title: `Requests under ${Number(((latency?.threshold_seconds ?? 0) * 1000).toPrecision(12))} ms (1d)`,
          description: `Latency SLI over the last day; objective ${pct(latency?.objective ?? 0)}.`,
          type: "stat",
          unit: "percentunit",
          w: 6,
          h: 6,
          thresholds: [
            { value: null, color: "red" },
            { value: latency?.objective ?? 1, color: "green" },
          ],
          targets: [{ expr: `${recordName.latencySli("1d")}{job="${JOB}"}`, legendFormat: "latency SLI" }],
        },
        {
          title: "Firing alerts",
          description: "Alerts firing now, by name and severity (the Watchdog always fires).",
          type: "stat",
          unit: "short",
          w: 12,
          h: 6,
          targets: [
            {
              expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})',
              legendFormat: "{{alertname}} ({{severity}})",
            },
          ],
        },
        burnRatePanel(cfg, "availability"),
        burnRatePanel(cfg, "latency"),
      ],
    },
    {
      title: "Runtime and database",
      panels: [
        {
          title: "Database connection pool",
          description: "Active and maximum connections, and requests waiting for one, per pool.",
          type: "timeseries",
          unit: "short",
          min: 0,
          w: 8,
          targets: [
            {
              expr: `sum by (pool_name) (database_connections_active{${APP}})`,
              legendFormat: "{{pool_name}} active",
            },
            {
              expr: `sum by (pool_name) (database_connections_max{${APP}})`,
              legendFormat: "{{pool_name}} max",
            },
            {
              expr: `sum by (pool_name) (database_connections_waiting{${APP}})`,
              legendFormat: "{{pool_name}} waiting",
            },
          ],
        },
        {
          title: "Event-loop lag",
          description: "Event-loop delay measured by perf_hooks (prom-client default metrics).",
          type: "timeseries",
          unit: "s",
          min: 0,
          w: 8,
          targets: [
            {
              expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${APP}})`,
              legendFormat: "p99 {{instance}}",
            },
            {
              expr: `max by (instance) (nodejs_eventloop_lag_seconds{${APP}})`,
              legendFormat: "last {{instance}}",
            },
          ],
        },
        {
          title: "Memory",
          description: "Resident set size and V8 heap per instance.",
          type: "timeseries",
          unit: "bytes",
          min: 0,
          w: 8,
          targets: [
            { expr: `process_resident_memory_bytes{${APP}}`, legendFormat: "RSS {{instance}}" },
            { expr: `nodejs_heap_size_used_bytes{${APP}}`, legendFormat: "heap used {{instance}}" },
            { expr: `nodejs_heap_size_total_bytes{${APP}}`, legendFormat: "heap total {{instance}}" },
          ],
        },
        {
          title: "CPU",
          description: "CPU seconds per second per instance (1 = one core).",
          type: "timeseries",
          unit: "short",
          min: 0,
          targets: [{ expr: `rate(process_cpu_seconds_total{${APP}}${RATE})`, legendFormat: "{{instance}}" }],
        },
        {
          title: "Garbage collection",
          description: "Share of time spent in garbage collection, by kind.",
          type: "timeseries",
          unit: "percentunit",
          min: 0,
          targets: [
            {
              expr: `sum by (kind) (rate(nodejs_gc_duration_seconds_sum{${APP}}${RATE}))`,
              legendFormat: "{{kind}}",
            },
          ],
        },
      ],
    },
    {
      title: "Business (per tenant)",
      panels: [
        {
          title: "Sessions",
          description: "Logins per second by tenant and user type.",
          type: "timeseries",
          unit: "ops",
          stack: true,
          targets: [
            {
              expr: `sum by (tenant, user_type) (rate(user_sessions_total{${APP}, tenant=~"$tenant"}${RATE}))`,
              legendFormat: "{{tenant}} {{user_type}}",
            },
          ],
        },
        {
          title: "Course enrollments",
          description: "Enrollments per second by tenant and course type.",
          type: "timeseries",
          unit: "ops",
          stack: true,
          targets: [
            {
              expr: `sum by (tenant, course_type) (rate(course_enrollments_total{${APP}, tenant=~"$tenant"}${RATE}))`,
              legendFormat: "{{tenant}} {{course_type}}",
            },
          ],
        },
        {
          title: "Content created",
          description: "Content items created per second by tenant, content type and author role.",
          type: "timeseries",
          unit: "ops",
          stack: true,
          targets: [
            {
              expr: `sum by (tenant, content_type, user_role) (rate(content_created_total{${APP}, tenant=~"$tenant"}${RATE}))`,
              legendFormat: "{{tenant}} {{content_type}} ({{user_role}})",
            },
          ],
        },
        {
          title: "Federated instances connected",
          description: "Remote instances each tenant federates with.",
          type: "timeseries",
          unit: "short",
          min: 0,
          targets: [
            {
              expr: `max by (tenant) (federation_instances_connected{${APP}, tenant=~"$tenant"})`,
              legendFormat: "{{tenant}}",
            },
          ],
        },
      ],
    },
    {
      title: "Federation delivery",
      panels: [
        {
          title: "Delivery failure ratio per remote instance",
          description:
            "Failed / (delivered + failed) per remote instance (exported_instance: the metric's own " +
            "instance label, renamed by the scrape). FederationDeliveryFailure fires above 25%.",
          type: "timeseries",
          unit: "percentunit",
          min: 0,
          max: 1,
          w: 8,
          thresholds: [
            { value: null, color: "green" },
            { value: 0.25, color: "red" },
          ],
          targets: [
            {
              expr: `sum by (exported_instance) (rate(federation_activities_total{${APP}, status="failed"}[10m])) / sum by (exported_instance) (rate(federation_activities_total{${APP}, status=~"delivered|failed"}[10m]))`,
              legendFormat: "{{exported_instance}}",
            },
          ],
        },
        {
          title: "Delivery failures by reason",
          description: "Failed delivery attempts per second by reason.",
          type: "timeseries",
          unit: "ops",
          stack: true,
          w: 8,
          targets: [
            {
              expr: `sum by (reason) (rate(federation_delivery_failures_total{${APP}}${RATE}))`,
              legendFormat: "{{reason}}",
            },
          ],
        },
        {
          title: "Activities by type and outcome",
          description: "Federated activities per second.",
          type: "timeseries",
          unit: "ops",
          stack: true,
          w: 8,
          targets: [
            {
              expr: `sum by (type, status) (rate(federation_activities_total{${APP}}${RATE}))`,
              legendFormat: "{{type}} {{status}}",
            },
          ],
        },
        {
          title: "Delivery queue depth",
          description:
            "Activities waiting in the durable delivery queue (FederationQueueBacklog above 1000).",
          type: "timeseries",
          unit: "short",
          min: 0,
          thresholds: [
            { value: null, color: "green" },
            { value: 1000, color: "red" },
          ],
          targets: [{ expr: `max(federation_queue_depth{${APP}})`, legendFormat: "depth" }],
        },
        {
          title: "Oldest queued activity",
          description: "Age of the oldest activity due for delivery (FederationQueueBacklog above 15 min).",
          type: "timeseries",
          unit: "s",
          min: 0,
          thresholds: [
            { value: null, color: "green" },
            { value: 900, color: "red" },
          ],
          targets: [{ expr: `max(federation_queue_oldest_age_seconds{${APP}})`, legendFormat: "oldest" }],
        },
      ],
    },
    {
      title: "Telemetry pipeline",
      panels: [
        {
          title: "Collector up",
          description: "Whether Prometheus can scrape the OpenTelemetry Collector's own metrics.",
          type: "stat",
          unit: "short",
          w: 4,
          thresholds: [
            { value: null, color: "red" },
            { value: 1, color: "green" },
          ],
          targets: [{ expr: 'up{job="otel-collector"}', legendFormat: "{{instance}}" }],
        },
        {
          title: "Collector exports",
          description: "Spans and log records sent and failed per second, per Collector exporter.",
          type: "timeseries",
          unit: "ops",
          w: 10,
          targets: [
            {
              expr: `sum by (exporter) (${otelcolRate("otelcol_exporter_sent_spans")})`,
              legendFormat: "{{exporter}} spans sent",
            },
            {
              expr: `sum by (exporter) (${otelcolRate("otelcol_exporter_send_failed_spans")})`,
              legendFormat: "{{exporter}} spans failed",
            },
            {
              expr: `sum by (exporter) (${otelcolRate("otelcol_exporter_sent_log_records")})`,
              legendFormat: "{{exporter}} logs sent",
            },
            {
              expr: `sum by (exporter) (${otelcolRate("otelcol_exporter_send_failed_log_records")})`,
              legendFormat: "{{exporter}} logs failed",
            },
          ],
        },
        {
          title: "Collector queue usage",
          description: "Sending-queue size over capacity per exporter: near 1, data is about to be dropped.",
          type: "timeseries",
          unit: "percentunit",
          min: 0,
          max: 1,
          w: 10,
          targets: [
            {
              expr: 'max by (exporter) (otelcol_exporter_queue_size{job="otel-collector"} / otelcol_exporter_queue_capacity{job="otel-collector"})',
              legendFormat: "{{exporter}}",
            },
          ],
        },
        {
          title: "Service OTLP export failures",
          description: "Failed OTLP exports from the service itself, per signal (TelemetryExportFailing).",
          type: "timeseries",
          unit: "ops",
          w: 24,
          targets: [
            {
              expr: `sum by (signal) (rate(telemetry_export_failures_total{${APP}}${RATE}))`,
              legendFormat: "{{signal}}",
            },
          ],
        },
      ],
    },
  ];

  return {
    uid: "fediflow-overview",
    title: "FediFlow Application Overview",
    description: "Generated by grafana/generate-dashboards.ts - edit the generator, not this JSON.",
    tags: ["fediflow", "production"],
    timezone: "utc",
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    templating: {
      list: [
        variable("instance", "Instance", `label_values(up{job="${JOB}"}, instance)`),
        variable(
          "route",
          "Route",
          `label_values(http_requests_total{job="${JOB}", instance=~"$instance"}, route)`,
        ),
        variable("tenant", "Tenant", `label_values(user_sessions_total{job="${JOB}"}, tenant)`),
      ],
    },
    panels: layout(rows),
  };
}

/** Every dashboard file this generator owns, by file name. */
export function dashboards(cfg: SloConfig = loadSloConfig()): Record<string, Record<string, unknown>> {
  return { "fediflow-overview.json": overviewDashboard(cfg) };
}

export function renderDashboard(dashboard: Record<string, unknown>): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

function main(argv: string[]): number {
  const check = argv.includes("--check");
  let stale = 0;
  for (const [file, dashboard] of Object.entries(dashboards())) {
    const path = join(DASHBOARDS_DIR, file);
    const text = renderDashboard(dashboard);
    if (check) {
      let current = "";
      try {
        current = readFileSync(path, "utf8");
      } catch {
        // missing counts as stale
      }
      if (current !== text) {
        console.log(`${path} is stale: run node grafana/generate-dashboards.ts`);
        stale++;
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
  if (check && stale === 0) console.log("up to date");
  return stale ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}

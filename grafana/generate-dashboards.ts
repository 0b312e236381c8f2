// Dashboards as code with Grafana's foundation SDK (@grafana/grafana-foundation-sdk, the builders
// Grafana publishes for its own dashboard schema): writes grafana/dashboards/*.json.
//
//   node grafana/generate-dashboards.ts          write the JSON
//   node grafana/generate-dashboards.ts --check  exit 1 if a committed JSON file is stale
//
// The SLO panels read the recordings Sloth generates (prometheus/rules/slo.yml: the windows and
// burn-rate factors) and the objectives of prometheus/slos.yaml (through prometheus/slos.ts), so they
// divide by the budget the alerts use. test/alerting/grafana.test.ts checks that the committed JSON
// equals this output; the consistency tests check that every query parses and names known metrics.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import {
  HeatmapColorMode,
  HeatmapColorOptionsBuilder,
  PanelBuilder as HeatmapPanelBuilder,
  HeatmapTooltipBuilder,
  YAxisConfigBuilder,
} from "@grafana/grafana-foundation-sdk/heatmap";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { parse } from "yaml";
import { SLO_RULES_PATH } from "../prometheus/generate-rules.ts";
import { loadSlos, type Slos } from "../prometheus/slos.ts";

export const GRAFANA_DIR = dirname(fileURLToPath(import.meta.url));
export const DASHBOARDS_DIR = join(GRAFANA_DIR, "dashboards");

const DS = { type: "prometheus", uid: "prometheus" };
const JOB = "fediflow-api";
/** Selector of the service's series filtered by the dashboard's instance variable. */
const APP = `job="${JOB}", instance=~"$instance"`;
const RATE = "[$__rate_interval]";

export type Target = {
  expr: string;
  legendFormat?: string;
  format?: "time_series" | "heatmap";
  exemplar?: boolean;
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

/** What Sloth generated for the SLO panels: the SLI windows and the burn-rate factors of its alerts. */
type SlothRules = { windows: string[]; factors: number[] };

/** Reads prometheus/rules/slo.yml (Sloth's output) for its SLI windows and alert factors. */
export function slothRules(path = SLO_RULES_PATH): SlothRules {
  const groups = (
    parse(readFileSync(path, "utf8")) as {
      groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
    }
  ).groups;
  const rules = groups.flatMap((g) => g.rules);
  const windows = [
    ...new Set(
      rules.flatMap((r) =>
        r.alert ? [...r.expr.matchAll(/slo:sli_error:ratio_rate(\w+)\{/g)].map((m) => m[1] as string) : [],
      ),
    ),
  ];
  const factors = [
    ...new Set(
      rules.flatMap((r) =>
        r.alert ? [...r.expr.matchAll(/> \(([\d.]+) \*/g)].map((m) => Number(m[1])) : [],
      ),
    ),
  ].sort((a, b) => a - b);
  const seconds = (w: string) => Number.parseInt(w, 10) * ({ m: 60, h: 3600, d: 86400 }[w.slice(-1)] ?? 1);
  return { windows: windows.sort((a, b) => seconds(a) - seconds(b)), factors };
}

/** 0.995 -> "99.5%", without binary floating-point noise. */
function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

/** Selector of one SLO's Sloth series. */
const sloth = (slo: string) => `sloth_service="${JOB}", sloth_slo="${slo}"`;

function burnRatePanel(sloth_: SlothRules, slos: Slos, slo: "availability" | "latency"): PanelSpec {
  const { budget } = slos[slo];
  const page = sloth_.factors.filter((f) => f >= 6);
  const ticket = sloth_.factors.filter((f) => f < 6);
  return {
    title: `${slo === "availability" ? "Availability" : "Latency"} SLO burn rate`,
    description:
      `Error-budget burn rate per window (1 = spending exactly the budget of ${pct(budget)} over the ` +
      `period), from Sloth's SLI recordings. Alerts page at ${page.join("x, ")}x and open tickets at ` +
      `${ticket.join("x, ")}x when a long and a short window both exceed the factor.`,
    type: "timeseries",
    unit: "x",
    min: 0,
    thresholds: [
      { value: null, color: "green" },
      ...sloth_.factors.map((f) => ({ value: f, color: f >= 6 ? "red" : "orange" })),
    ],
    targets: sloth_.windows.map((w) => ({
      expr: `slo:sli_error:ratio_rate${w}{${sloth(slo)}} / on (sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio{${sloth(slo)}}`,
      legendFormat: w,
    })),
  };
}

/** A small stat panel of a ratio (the SLO row's). */
function ratioStat(title: string, description: string, greenFrom: number[], targets: Target[]): PanelSpec {
  const colors = ["orange", "green"].slice(-greenFrom.length);
  return {
    title,
    description,
    type: "stat",
    unit: "percentunit",
    w: 6,
    h: 6,
    thresholds: [
      { value: null, color: "red" },
      ...greenFrom.map((value, i) => ({ value, color: colors[i] as string })),
    ],
    targets,
  };
}

/** The SLI of one SLO over the last day, green from its objective up. */
function sliStat(slos: Slos, slo: "availability" | "latency", title: string, what: string): PanelSpec {
  const { objective } = slos[slo];
  return ratioStat(
    title,
    `${what}; objective ${pct(objective)}.`,
    [objective],
    [{ expr: `1 - slo:sli_error:ratio_rate1d{${sloth(slo)}}`, legendFormat: slo }],
  );
}

/** Collector counters are spelled with _total by recent releases and without it by older ones. */
function otelcolRate(name: string): string {
  return `rate(${name}_total{job="otel-collector"}${RATE}) or rate(${name}{job="otel-collector"}${RATE})`;
}

export function overviewDashboard(slos: Slos = loadSlos(), rules: SlothRules = slothRules()): Dashboard {
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
        sliStat(
          slos,
          "availability",
          "Availability (1d)",
          "Share of requests not answered 5xx over the last day",
        ),
        sliStat(
          slos,
          "latency",
          `Requests under ${Number((slos.latency.thresholdSeconds * 1000).toPrecision(12))} ms (1d)`,
          "Latency SLI over the last day",
        ),
        ratioStat(
          "Error budget remaining (30d)",
          "Share of each SLO's 30-day error budget not yet spent (Sloth's period recordings).",
          [0.25, 0.5],
          [
            {
              expr: `slo:period_error_budget_remaining:ratio{sloth_service="${JOB}"}`,
              legendFormat: "{{sloth_slo}}",
            },
          ],
        ),
        {
          title: "Firing alerts",
          description: "Alerts firing now, by name and severity (the Watchdog always fires).",
          type: "stat",
          unit: "short",
          w: 6,
          h: 6,
          targets: [
            {
              expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})',
              legendFormat: "{{alertname}} ({{severity}})",
            },
          ],
        },
        burnRatePanel(rules, slos, "availability"),
        burnRatePanel(rules, slos, "latency"),
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

  const thresholds = (steps: { value: number | null; color: string }[]) =>
    new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
  const targets = (p: PanelSpec) =>
    p.targets.map((t, i) => {
      const q = new DataqueryBuilder()
        .refId(String.fromCharCode(65 + i))
        .datasource(DS)
        .expr(t.expr)
        .legendFormat(t.legendFormat ?? "__auto")
        .range()
        .format(t.format === "heatmap" ? PromQueryFormat.Heatmap : PromQueryFormat.TimeSeries);
      return t.exemplar ? q.exemplar(true) : q;
    });
  let id = 1;
  const panel = (p: PanelSpec) => {
    const common_ = <T extends TimeseriesPanelBuilder | StatPanelBuilder | HeatmapPanelBuilder>(b: T): T => {
      b.id(id++)
        .title(p.title)
        .description(p.description)
        .datasource(DS)
        .span(p.w ?? 12)
        .height(p.h ?? 8);
      b.unit(p.unit ?? "short").targets(targets(p));
      if (p.min !== undefined) b.min(p.min);
      if (p.max !== undefined) b.max(p.max);
      if (p.thresholds) b.thresholds(thresholds(p.thresholds));
      return b;
    };
    switch (p.type) {
      case "stat":
        return common_(new StatPanelBuilder())
          .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
          .colorMode(common.BigValueColorMode.Value)
          .graphMode(common.BigValueGraphMode.Area)
          .justifyMode(common.BigValueJustifyMode.Auto)
          .textMode(common.BigValueTextMode.Auto);
      case "heatmap":
        return common_(new HeatmapPanelBuilder())
          .calculate(false)
          .cellGap(1)
          .color(new HeatmapColorOptionsBuilder().mode(HeatmapColorMode.Scheme).scheme("Oranges").steps(64))
          .yAxis(new YAxisConfigBuilder().unit("s"))
          .tooltip(new HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true))
          .showLegend()
          .exemplarsColor("rgba(255,0,255,0.7)");
      default:
        return common_(new TimeseriesPanelBuilder())
          .lineWidth(1)
          .fillOpacity(p.stack ? 30 : 10)
          .showPoints(common.VisibilityMode.Never)
          .spanNulls(false)
          .stacking(
            new common.StackingConfigBuilder().mode(
              p.stack ? common.StackingMode.Normal : common.StackingMode.None,
            ),
          )
          .thresholdsStyle(
            new common.GraphThresholdsStyleConfigBuilder().mode(
              p.thresholds ? common.GraphThresholdsStyleMode.Line : common.GraphThresholdsStyleMode.Off,
            ),
          )
          .legend(
            new common.VizLegendOptionsBuilder()
              .displayMode(common.LegendDisplayMode.List)
              .placement(common.LegendPlacement.Bottom)
              .showLegend(true),
          )
          .tooltip(
            new common.VizTooltipOptionsBuilder()
              .mode(common.TooltipDisplayMode.Multi)
              .sort(common.SortOrder.Descending),
          );
    }
  };
  const variable = (name: string, label: string, query: string) =>
    new QueryVariableBuilder(name)
      .label(label)
      .datasource(DS)
      .query(query)
      .definition(query)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .includeAll(true)
      .multi(true)
      .allValue(".*")
      .sort(VariableSort.AlphabeticalAsc);

  const builder = new DashboardBuilder("FediFlow Application Overview")
    .uid("fediflow-overview")
    .description("Generated by grafana/generate-dashboards.ts - edit the generator, not this JSON.")
    .tags(["fediflow", "production"])
    .timezone("utc")
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .withVariable(variable("instance", "Instance", `label_values(up{job="${JOB}"}, instance)`))
    .withVariable(
      variable(
        "route",
        "Route",
        `label_values(http_requests_total{job="${JOB}", instance=~"$instance"}, route)`,
      ),
    )
    .withVariable(variable("tenant", "Tenant", `label_values(user_sessions_total{job="${JOB}"}, tenant)`));
  for (const row of rows) {
    builder.withRow(new RowBuilder(row.title).id(id++));
    for (const p of row.panels) builder.withPanel(panel(p));
  }
  return builder.build();
}

/** Every dashboard file this generator owns, by file name. */
export function dashboards(): Record<string, Dashboard> {
  return { "fediflow-overview.json": overviewDashboard() };
}

export function renderDashboard(dashboard: Dashboard): string {
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

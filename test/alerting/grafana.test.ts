// Grafana provisioning and dashboards: generated JSON is current, data sources link to each other
// by fixed UIDs, and the dashboard is well formed (grid, ids, variables, the spec's panels).
// Grafana itself is AGPL and never installed here (DESIGN.md), so these are structural checks.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  DASHBOARDS_DIR,
  dashboards,
  renderDashboard,
  slothRules,
} from "../../grafana/generate-dashboards.ts";
import { loadSlos } from "../../prometheus/slos.ts";
import { loadYaml, ROOT } from "./support.ts";

type Target = { refId: string; expr: string; legendFormat?: string; datasource?: { uid: string } };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string } };
};
type Dashboard = {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; definition: string }[] };
};
type Datasource = {
  name: string;
  type: string;
  uid: string;
  url: string;
  jsonData?: Record<string, unknown>;
};

const provisioning = join(ROOT, "grafana", "provisioning");
const datasources = loadYaml<{ apiVersion: number; datasources: Datasource[] }>(
  join(provisioning, "datasources", "datasources.yaml"),
);
const providers = loadYaml<{ apiVersion: number; providers: Record<string, unknown>[] }>(
  join(provisioning, "dashboards", "dashboards.yaml"),
);
const files = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith(".json"));
const loaded = files.map((f) => ({
  file: f,
  dashboard: JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), "utf8")) as Dashboard,
}));
const uids = new Set(datasources.datasources.map((d) => d.uid));
const byUid = (uid: string) => datasources.datasources.find((d) => d.uid === uid);

describe("dashboards are generated", () => {
  test("every committed JSON equals grafana/generate-dashboards.ts output, and nothing else is there", () => {
    const generated = dashboards();
    assert.deepEqual(files.sort(), Object.keys(generated).sort());
    for (const [file, dashboard] of Object.entries(generated)) {
      assert.equal(
        readFileSync(join(DASHBOARDS_DIR, file), "utf8"),
        renderDashboard(dashboard),
        `${file} is stale: run node grafana/generate-dashboards.ts`,
      );
    }
  });
});

describe("dashboards come from Grafana's foundation SDK and read the SLOs from their one source", () => {
  test("the generator builds with @grafana/grafana-foundation-sdk, pinned exactly", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    assert.equal(pkg.devDependencies["@grafana/grafana-foundation-sdk"], "0.0.21");
    const source = readFileSync(join(ROOT, "grafana", "generate-dashboards.ts"), "utf8");
    assert.match(source, /from "@grafana\/grafana-foundation-sdk\/dashboard"/);
    assert.doesNotMatch(source, /gridPos: \{/, "the SDK lays panels out, not hand-written grid positions");
  });

  test("SLO stats use the objectives of prometheus/slos.yaml; burn-rate panels Sloth's windows and factors", () => {
    const slos = loadSlos();
    const rules = slothRules();
    assert.deepEqual(rules.factors, [1, 3, 6, 14.4]);
    assert.deepEqual(rules.windows, ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
    const overview = dashboards()["fediflow-overview.json"] as unknown as {
      panels: (Panel & {
        fieldConfig: { defaults: { thresholds?: { steps: { value: number | null }[] } } };
      })[];
    };
    const steps = (title: string) =>
      overview.panels
        .find((p) => p.title === title)
        ?.fieldConfig.defaults.thresholds?.steps.map((s) => s.value);
    assert.deepEqual(steps("Availability (1d)"), [null, slos.availability.objective]);
    assert.deepEqual(steps(`Requests under ${slos.latency.thresholdSeconds * 1000} ms (1d)`), [
      null,
      slos.latency.objective,
    ]);
    assert.deepEqual(steps("Latency SLO burn rate"), [null, ...rules.factors]);
    const burn = overview.panels.find((p) => p.title === "Availability SLO burn rate");
    assert.deepEqual(
      burn?.targets?.map((t) => t.legendFormat),
      rules.windows,
    );
  });
});

describe("data source provisioning", () => {
  test("fixed UIDs for Prometheus, Jaeger and Elasticsearch", () => {
    assert.equal(datasources.apiVersion, 1);
    assert.deepEqual(
      datasources.datasources.map((d) => [d.type, d.uid]),
      [
        ["prometheus", "prometheus"],
        ["jaeger", "jaeger"],
        ["elasticsearch", "elasticsearch"],
      ],
    );
    for (const d of datasources.datasources) assert.match(d.url, /^http:\/\/[a-z-]+:\d+$/);
  });

  test("Prometheus exemplars link to Jaeger", () => {
    const dest = byUid("prometheus")?.jsonData?.exemplarTraceIdDestinations as {
      name: string;
      datasourceUid: string;
    }[];
    assert.deepEqual(dest, [{ name: "trace_id", datasourceUid: "jaeger" }]);
  });

  test("Jaeger traces link to Elasticsearch logs by trace id", () => {
    const t2l = byUid("jaeger")?.jsonData?.tracesToLogsV2 as Record<string, unknown>;
    assert.equal(t2l.datasourceUid, "elasticsearch");
    assert.match(String(t2l.query), /\$\{__trace\.traceId\}/);
  });

  test("Elasticsearch reads fediflow-logs-* by @timestamp and links trace ids back to Jaeger", () => {
    const es = byUid("elasticsearch")?.jsonData ?? {};
    assert.equal(es.index, "fediflow-logs-*");
    assert.equal(es.timeField, "@timestamp");
    assert.deepEqual(
      (es.dataLinks as { datasourceUid: string }[]).map((l) => l.datasourceUid),
      ["jaeger"],
    );
  });

  test("every datasourceUid reference resolves", () => {
    const refs = JSON.stringify(datasources).match(/"datasourceUid":"([^"]+)"/g) ?? [];
    assert.ok(refs.length >= 4);
    for (const r of refs) assert.ok(uids.has(r.split('"')[3] as string), r);
  });

  test("the dashboard provider loads grafana/dashboards into a folder", () => {
    assert.equal(providers.apiVersion, 1);
    const [p] = providers.providers;
    assert.equal(p?.type, "file");
    assert.equal(p?.folder, "FediFlow");
    assert.equal((p?.options as { path?: string } | undefined)?.path, "/var/lib/grafana/dashboards");
  });
});

describe("dashboards are well formed", () => {
  for (const { file, dashboard } of loaded) {
    test(`${file}: ids unique, panels on the 24-column grid without overlap`, () => {
      const ids = dashboard.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      const cells = new Set<string>();
      for (const p of dashboard.panels) {
        const { x, y, w, h } = p.gridPos;
        assert.ok(x >= 0 && w > 0 && x + w <= 24, `${p.title}: x ${x} w ${w}`);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`);
            cells.add(`${i},${j}`);
          }
        }
      }
    });

    test(`${file}: panels query the provisioned Prometheus, every target has refId and expr`, () => {
      for (const p of dashboard.panels.filter((p) => p.type !== "row")) {
        assert.ok(["timeseries", "stat", "heatmap"].includes(p.type), `${p.title}: type ${p.type}`);
        assert.equal(p.datasource?.uid, "prometheus");
        assert.ok(p.targets?.length, `${p.title} has no query`);
        const refIds = p.targets.map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length);
        for (const t of p.targets) {
          assert.ok(t.expr.trim(), `${p.title} ${t.refId}`);
          assert.ok(uids.has(t.datasource?.uid ?? ""), `${p.title} ${t.refId} datasource`);
        }
      }
    });

    test(`${file}: variables tenant, route, instance are defined and used`, () => {
      const names = dashboard.templating.list.map((v) => v.name).sort();
      assert.deepEqual(names, ["instance", "route", "tenant"]);
      const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
      for (const n of names)
        assert.ok(
          exprs.some((e) => e.includes(`$${n}`)),
          `$${n} unused`,
        );
      const used = new Set(exprs.join("\n").match(/\$(?!__)\w+/g));
      for (const u of used) assert.ok(names.includes(u.slice(1)), `${u} is not defined`);
    });
  }

  test("the overview has the spec's three panels, fixed", () => {
    const overview = loaded.find((d) => d.dashboard.uid === "fediflow-overview")?.dashboard;
    assert.ok(overview);
    assert.equal(overview.title, "FediFlow Application Overview");
    const panel = (title: string) => overview.panels.find((p) => p.title === title);
    const rate = panel("Request rate");
    assert.equal(rate?.type, "timeseries");
    assert.equal(rate?.targets?.[0]?.legendFormat, "{{method}} {{route}}");
    assert.match(rate?.targets?.[0]?.expr ?? "", /^sum by \(method, route\) \(rate\(http_requests_total\{/);
    const latency = panel("Response time");
    assert.equal(latency?.fieldConfig?.defaults?.unit, "s");
    assert.equal(latency?.targets?.[0]?.legendFormat, "95th percentile");
    assert.match(latency?.targets?.[0]?.expr ?? "", /^histogram_quantile\(0\.95, sum by \(le\) \(rate\(/);
    const federation = panel("Federation activity");
    assert.equal(federation?.type, "stat");
    assert.match(federation?.targets?.[0]?.expr ?? "", /increase\(federation_activities_total\{.*\}\[1h\]\)/);
    for (const title of [
      "Error ratio",
      "Availability SLO burn rate",
      "Latency distribution",
      "Database connection pool",
      "Event-loop lag",
      "Memory",
      "Sessions",
      "Delivery failure ratio per remote instance",
      "Collector exports",
    ]) {
      assert.ok(panel(title), `missing panel ${title}`);
    }
    assert.equal(panel("Latency distribution")?.type, "heatmap");
  });
});

// Generated files must equal their generator's output: prometheus/rules/slo.yml from
// prometheus/slo.yaml, and the time-scaled "fast" variant must be valid and scaled.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "yaml";
import {
  formatDuration,
  loadSloConfig,
  parseDuration,
  renderSloRules,
  SLO_RULES_PATH,
  scaleDuration,
  scaleExpr,
} from "../../prometheus/generate-rules.ts";
import { PROMETHEUS_DIR, RULES_DIR, type RuleGroup, run, tool } from "./support.ts";

const scratch = mkdtempSync(join(tmpdir(), "fediflow-rules-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("prometheus/rules/slo.yml is generated from prometheus/slo.yaml", () => {
  test("the committed file equals the generator's output (run: node prometheus/generate-rules.ts)", () => {
    assert.equal(readFileSync(SLO_RULES_PATH, "utf8"), renderSloRules(loadSloConfig()));
  });

  test("--check agrees", () => {
    const out = execFileSync(process.execPath, [join(PROMETHEUS_DIR, "generate-rules.ts"), "--check"], {
      encoding: "utf8",
    });
    assert.match(out, /up to date/);
  });

  test("the SLO targets appear only in slo.yaml", () => {
    const cfg = loadSloConfig();
    assert.equal(cfg.slos.find((s) => s.name === "availability")?.objective, 0.995);
    assert.equal(cfg.slos.find((s) => s.name === "latency")?.threshold_seconds, 0.1);
    for (const file of readdirSync(RULES_DIR).filter((f) => f !== "slo.yml")) {
      const text = readFileSync(join(RULES_DIR, file), "utf8");
      assert.doesNotMatch(text, /0\.995|99\.5%|le="0\.1"/, `${file} repeats an SLO target`);
    }
  });

  test("burn-rate thresholds are factor x budget, on both windows, with the traffic guard", () => {
    const groups = (parse(readFileSync(SLO_RULES_PATH, "utf8")) as { groups: RuleGroup[] }).groups;
    const page = groups[0]?.rules.find(
      (r) => r.alert === "AvailabilitySLOBudgetBurn" && r.labels?.burn_rate === "14.4",
    );
    assert.equal(
      page?.expr,
      [
        'job:http_requests_errors:ratio_rate1h{job="fediflow-api"} > 0.072',
        "and",
        'job:http_requests_errors:ratio_rate5m{job="fediflow-api"} > 0.072',
        "and on (job)",
        'job:http_requests:rate5m{job="fediflow-api"} >= 0.06667',
      ].join("\n"),
    );
    const ticket = groups[0]?.rules.find(
      (r) => r.alert === "LatencySLOBudgetBurn" && r.labels?.burn_rate === "1",
    );
    assert.match(
      ticket?.expr ?? "",
      /^\(1 - job:http_requests_latency_sli:ratio_rate3d\{job="fediflow-api"\}\) > 0\.01$/m,
    );
    assert.equal(ticket?.for, "3h");
    assert.equal(ticket?.labels?.severity, "warning");
  });
});

describe("durations", () => {
  test("parse, format and scale Prometheus durations", () => {
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("3d"), 259_200_000);
    assert.equal(formatDuration(4_320_000), "1h12m");
    assert.equal(scaleDuration("5m", 60), "5s");
    assert.equal(scaleDuration("3d", 60), "1h12m");
    assert.equal(scaleDuration("30s", 60), "500ms");
    assert.throws(() => parseDuration("5 minutes"));
  });

  test("scale range selectors, subqueries and offsets, nothing else", () => {
    assert.equal(
      scaleExpr('rate(x{le="0.1",a="[5m]x"}[10m]) / max_over_time(y[1h:5m]) offset 1h + z[6h:]', 60),
      'rate(x{le="0.1",a="[5s]x"}[10s]) / max_over_time(y[1m:5s]) offset 1m + z[6m:]',
    );
  });
});

describe("fast test variant (--scale=60 --out=DIR)", () => {
  const out = join(scratch, "fast");
  execFileSync(process.execPath, [join(PROMETHEUS_DIR, "generate-rules.ts"), "--scale=60", `--out=${out}`]);
  const load = (file: string) =>
    (parse(readFileSync(join(out, file), "utf8")) as { groups: RuleGroup[] }).groups;

  test("writes every rule file, and promtool accepts them", () => {
    const files = readdirSync(out).sort();
    assert.deepEqual(files, readdirSync(RULES_DIR).sort());
    const r = run(tool("promtool"), ["check", "rules", ...files.map((f) => join(out, f))]);
    assert.equal(r.code, 0, r.output);
  });

  test("divides every for: and window by 60 and keeps names, labels and thresholds", () => {
    const slo = load("slo.yml")[0]?.rules ?? [];
    const page = slo.find((r) => r.alert === "AvailabilitySLOBudgetBurn" && r.labels?.burn_rate === "14.4");
    assert.equal(page?.for, "2s");
    assert.equal(page?.labels?.long_window, "1m");
    assert.match(page?.expr ?? "", /ratio_rate1h\{job="fediflow-api"\} > 0\.072/);
    const rec = slo.find((r) => r.record === "job:http_requests:rate3d");
    assert.equal(rec?.expr, 'sum by (job) (rate(http_requests_total{job="fediflow-api"}[1h12m]))');
    const high = load("fediflow.yml")
      .flatMap((g) => g.rules)
      .find((r) => r.alert === "HighErrorRate");
    assert.equal(high?.for, "5s");
    assert.match(high?.expr ?? "", /\[5s\]\)\) >= 0\.2$/);
    const disk = load("infrastructure.yml")
      .flatMap((g) => g.rules)
      .find((r) => r.alert === "DiskSpaceFillingUp");
    assert.equal(disk?.for, "1m");
    assert.match(disk?.expr ?? "", /\[6m\], 24 \* 3600\)/);
  });

  test("refuses to scale without --out, and over prometheus/rules", () => {
    const bad = (args: string[]) =>
      assert.throws(() =>
        execFileSync(process.execPath, [join(PROMETHEUS_DIR, "generate-rules.ts"), ...args], {
          stdio: "pipe",
        }),
      );
    bad(["--scale=60"]);
    bad(["--scale=60", `--out=${RULES_DIR}`]);
    bad(["--bogus"]);
  });
});

// Runs the real promtool, built at the release .env pins (Prometheus 3.7), on every configuration
// (Kubernetes discovery included), the rules and the rule unit tests.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadYaml, PROMETHEUS_DIR, RULE_TESTS_DIR, RULES_DIR, run, tool, yamlFiles } from "./support.ts";

const promtool = tool("promtool");
const scratch = mkdtempSync(join(tmpdir(), "fediflow-prometheus-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

type ScrapeConfig = { job_name: string; kubernetes_sd_configs?: unknown; static_configs?: unknown };

describe("promtool check config", () => {
  for (const file of ["prometheus.yml", "prometheus.compose.yml"]) {
    test(`${file} is valid, with its rule files`, () => {
      const r = run(promtool, ["check", "config", file], { cwd: PROMETHEUS_DIR });
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /SUCCESS: 3 rule files found/);
      assert.doesNotMatch(r.output, /WARNING|FAILED/);
    });
  }

  test("prometheus.yml discovers pods and endpoints through Kubernetes, and promtool checks that for real", () => {
    const config = loadYaml<{ scrape_configs: ScrapeConfig[] }>(join(PROMETHEUS_DIR, "prometheus.yml"));
    assert.deepEqual(
      config.scrape_configs.filter((j) => j.kubernetes_sd_configs).map((j) => j.job_name),
      ["fediflow-api", "kubernetes-pods", "otel-collector"],
    );
    // A broken Kubernetes discovery block is rejected: the check is not a syntax-only pass.
    const broken = join(scratch, "broken-k8s.yml");
    writeFileSync(
      broken,
      readFileSync(join(PROMETHEUS_DIR, "prometheus.yml"), "utf8")
        .replace("rule_files:\n  - rules/*.yml\n", "")
        .replace("- role: endpoints", "- role: no-such-role"),
    );
    const r = run(promtool, ["check", "config", broken]);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /no-such-role/);
  });

  test("both configurations scrape the same jobs and load rules/*.yml", () => {
    const jobsOf = (file: string) =>
      loadYaml<{ scrape_configs: ScrapeConfig[]; rule_files: string[] }>(join(PROMETHEUS_DIR, file));
    const k8s = jobsOf("prometheus.yml");
    const compose = jobsOf("prometheus.compose.yml");
    const required = [
      "node-exporter",
      "postgres-exporter",
      "redis-exporter",
      "otel-collector",
      "alertmanager",
    ];
    for (const job of required) {
      assert.ok(
        k8s.scrape_configs.some((j) => j.job_name === job),
        `prometheus.yml scrapes ${job}`,
      );
      assert.ok(
        compose.scrape_configs.some((j) => j.job_name === job),
        `compose scrapes ${job}`,
      );
    }
    assert.ok(compose.scrape_configs.some((j) => j.job_name === "fediflow-api"));
    assert.deepEqual(k8s.rule_files, ["rules/*.yml"]);
    assert.deepEqual(compose.rule_files, ["rules/*.yml"]);
  });
});

describe("promtool rules", () => {
  test("check rules: every rule file is valid", () => {
    const files = yamlFiles(RULES_DIR);
    assert.ok(files.length >= 3);
    const r = run(promtool, ["check", "rules", ...files]);
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /FAILED/);
  });

  test("test rules: every unit test in prometheus/tests passes", () => {
    const files = yamlFiles(RULE_TESTS_DIR);
    assert.ok(files.length >= 3);
    const r = run(promtool, ["test", "rules", ...files]);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.match(/SUCCESS/g)?.length, files.length, r.output);
  });

  test("test rules can fail: a wrong expectation is reported", () => {
    // Guards against a promtool that passes anything (e.g. tests not found or not run).
    const broken = join(scratch, "broken.test.yml");
    writeFileSync(
      broken,
      [
        "rule_files:",
        `  - ${join(RULES_DIR, "infrastructure.yml")}`,
        "tests:",
        "  - interval: 1m",
        "    input_series: []",
        "    alert_rule_test:",
        "      - eval_time: 1m",
        "        alertname: Watchdog",
        "        exp_alerts: []",
        "",
      ].join("\n"),
    );
    const r = run(promtool, ["test", "rules", broken]);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /FAILED/);
  });
});

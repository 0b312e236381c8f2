// Runs the real promtool (Prometheus 2.42, Debian) on the configuration, rules and rule unit tests.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadYaml, PROMETHEUS_DIR, RULE_TESTS_DIR, RULES_DIR, run, tool, yamlFiles } from "./support.ts";

const promtool = tool("promtool");
const scratch = mkdtempSync(join(tmpdir(), "fediflow-prometheus-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

type ScrapeConfig = { job_name: string; kubernetes_sd_configs?: unknown; static_configs?: unknown };

/** Does this promtool build know kubernetes_sd_configs? Debian's 2.42 is built without it. */
function promtoolHasKubernetesSd(): boolean {
  const probe = join(scratch, "k8s-probe.yml");
  writeFileSync(
    probe,
    "scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs:\n      - role: pod\n",
  );
  return run(promtool, ["check", "config", "--syntax-only", probe]).code === 0;
}

describe("promtool check config", () => {
  test("prometheus.compose.yml is valid, with its rule files", () => {
    const r = run(promtool, ["check", "config", "prometheus.compose.yml"], { cwd: PROMETHEUS_DIR });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 3 rule files found/);
  });

  test("prometheus.yml is valid, with its rule files", (t) => {
    // Debian builds Prometheus without Kubernetes discovery, so its promtool rejects
    // kubernetes_sd_configs. Check a copy where that block is swapped for a static target: every
    // other line, relabel_configs included, is checked by the real binary. When the promtool in
    // use knows Kubernetes discovery (upstream build, $PROMTOOL), the file is checked as it is too.
    const original = loadYaml<{ scrape_configs: ScrapeConfig[]; rule_files: string[] }>(
      join(PROMETHEUS_DIR, "prometheus.yml"),
    );
    const jobs = original.scrape_configs;
    const k8sJobs = jobs.filter((j) => j.kubernetes_sd_configs);
    assert.deepEqual(
      k8sJobs.map((j) => j.job_name),
      ["kubernetes-pods"],
      "the spec's Kubernetes pod discovery job",
    );
    const derived = structuredClone(original);
    // Absolute rule paths: the copy lives in a scratch directory, the rules stay where they are.
    derived.rule_files = derived.rule_files.map((f) => join(PROMETHEUS_DIR, f));
    for (const job of derived.scrape_configs) {
      if (job.kubernetes_sd_configs) {
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: ["pod.example:3000"] }];
      }
    }
    const derivedPath = join(scratch, "prometheus.k8s-as-static.yml");
    writeFileSync(derivedPath, JSON.stringify(derived));
    const r = run(promtool, ["check", "config", derivedPath]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 3 rule files found/);
    if (promtoolHasKubernetesSd()) {
      const r = run(promtool, ["check", "config", "prometheus.yml"], { cwd: PROMETHEUS_DIR });
      assert.equal(r.code, 0, r.output);
    } else {
      t.diagnostic(
        "this promtool has no Kubernetes discovery; kubernetes_sd_configs checked as a static job",
      );
    }
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

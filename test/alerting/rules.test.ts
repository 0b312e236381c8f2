// Static checks of prometheus/rules against the alerting conventions, the runbooks and the
// promtool unit tests: every alert is documented, and proven both firing and silent.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { describe, test } from "node:test";
import {
  type ExpAlert,
  type LoadedRule,
  loadRules,
  loadRuleTests,
  RULE_TESTS_DIR,
  RULES_DIR,
  RUNBOOK_BASE_URL,
  RUNBOOKS_DIR,
  yamlFiles,
} from "./support.ts";

const rules = loadRules();
const alerts = rules.filter((r): r is LoadedRule & { alert: string } => typeof r.alert === "string");
const alertNames = [...new Set(alerts.map((a) => a.alert))].sort();
const ruleTests = loadRuleTests();

/** Alerts that can never be silent by design. */
const ALWAYS_FIRING = new Set(["Watchdog"]);

/** Every alert_rule_test of every promtool test file. */
const cases = ruleTests.flatMap(({ file, content }) =>
  content.tests.flatMap((group) =>
    (group.alert_rule_test ?? []).map((c) => ({ file, group: group.name ?? "(unnamed)", ...c })),
  ),
);

describe("alert rules follow the conventions", () => {
  test("the spec's four alerts, the SLO alerts and the meta alerts exist", () => {
    for (const name of [
      "HighErrorRate",
      "DatabaseConnectionPoolExhausted",
      "FederationDeliveryFailure",
      "DiskSpaceRunningLow",
      "DiskSpaceFillingUp",
      "AvailabilitySLOBudgetBurn",
      "LatencySLOBudgetBurn",
      "Watchdog",
      "FediflowApiDown",
      "PostgresExporterDown",
      "RedisExporterDown",
      "NodeExporterDown",
      "OtelCollectorDown",
      "FederationQueueBacklog",
      "TelemetryExportFailing",
    ]) {
      assert.ok(alertNames.includes(name), `missing alert ${name}`);
    }
  });

  for (const rule of alerts) {
    const where = `${rule.alert} (${basename(rule.file)}, group ${rule.group})`;
    test(`${where} has severity, service, summary, description and runbook_url`, () => {
      const severity = rule.labels?.severity;
      assert.ok(["critical", "warning", "none"].includes(severity ?? ""), `${where}: severity ${severity}`);
      assert.equal(
        severity === "none",
        rule.alert === "Watchdog",
        `${where}: only Watchdog has severity none`,
      );
      // alertmanager.yml inhibits on equal (cluster, service): an alert without service would be
      // muted by any critical without one.
      assert.ok(rule.labels?.service, `${where}: service label`);
      assert.ok(rule.annotations?.summary?.trim(), `${where}: summary`);
      assert.ok(rule.annotations?.description?.trim(), `${where}: description`);
      assert.equal(rule.annotations?.runbook_url, `${RUNBOOK_BASE_URL}${rule.alert}.md`);
    });
  }

  test("DiskSpaceRunningLow calls the free share free, and ignores pseudo filesystems", () => {
    const disk = alerts.find((a) => a.alert === "DiskSpaceRunningLow");
    assert.match(
      disk?.annotations?.description ?? "",
      /\{\{ \$value \| humanizePercentage \}\} of its space\s+free/,
    );
    assert.doesNotMatch(disk?.annotations?.description ?? "", /\bfull\b/);
    for (const fstype of ["tmpfs", "overlay", "squashfs"]) assert.ok(disk?.expr.includes(fstype), fstype);
  });

  test("recording rules follow level:metric:operations (Sloth's sloth_slo_info is an info metric)", () => {
    for (const r of rules.filter((r) => r.record && r.record !== "sloth_slo_info"))
      assert.match(r.record as string, /^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
  });

  test("alert names are unique per file and rule group", () => {
    const groupsOf = new Map<string, Set<string>>();
    for (const a of alerts)
      groupsOf.set(a.alert, (groupsOf.get(a.alert) ?? new Set()).add(`${a.file}#${a.group}`));
    for (const [name, groups] of groupsOf) assert.equal(groups.size, 1, `${name} defined in ${[...groups]}`);
  });
});

describe("runbooks", () => {
  for (const name of alertNames) {
    test(`docs/runbooks/${name}.md exists and says what it means, how to confirm and mitigate`, () => {
      const path = join(RUNBOOKS_DIR, `${name}.md`);
      assert.ok(existsSync(path), `missing ${path}`);
      const text = readFileSync(path, "utf8");
      assert.match(text, new RegExp(`^# ${name}\\b`, "m"));
      for (const heading of ["## Meaning", "## Confirm", "## Mitigate"]) {
        assert.ok(text.includes(heading), `${name}.md lacks "${heading}"`);
      }
      assert.match(text, /```(promql|sh|bash|sql)\n/, `${name}.md has no exact query or command`);
    });
  }

  test("no runbook for an alert that does not exist", () => {
    const orphans = readdirSync(RUNBOOKS_DIR)
      .filter((f) => f.endsWith(".md") && f !== "README.md")
      .map((f) => f.replace(/\.md$/, ""))
      .filter((n) => !alertNames.includes(n));
    assert.deepEqual(orphans, []);
  });
});

describe("promtool unit tests cover every alert", () => {
  test("every rule file is loaded by a test file, and every test file's rule files exist", () => {
    const loaded = new Set(
      ruleTests.flatMap(({ content }) => content.rule_files.map((f) => resolve(RULE_TESTS_DIR, f))),
    );
    for (const f of yamlFiles(RULES_DIR)) assert.ok(loaded.has(f), `${basename(f)} is not tested`);
    for (const f of loaded) assert.ok(existsSync(f), `${f} does not exist`);
  });

  for (const name of alertNames) {
    test(`${name} is proven firing${ALWAYS_FIRING.has(name) ? "" : " and silent"}`, () => {
      const mine = cases.filter((c) => c.alertname === name);
      const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0);
      const silent = mine.filter((c) => (c.exp_alerts ?? []).length === 0);
      assert.ok(firing.length > 0, `${name}: no alert_rule_test expects it to fire`);
      if (ALWAYS_FIRING.has(name)) {
        assert.equal(silent.length, 0, `${name} must never be expected silent`);
      } else {
        assert.ok(silent.length > 0, `${name}: no alert_rule_test with exp_alerts: []`);
        // A silent case in a test group of its own (not only the pending evaluation before firing).
        const silentGroups = new Set(silent.map((c) => c.group));
        const firingGroups = new Set(firing.map((c) => c.group));
        assert.ok(
          [...silentGroups].some((g) => !firingGroups.has(g)),
          `${name}: needs a test group where it stays silent throughout`,
        );
      }
    });
  }

  for (const rule of alerts) {
    const fixed = Object.entries(rule.labels ?? {}).filter(([, v]) => !v.includes("{{"));
    const id = fixed.map(([k, v]) => `${k}=${v}`).join(",");
    test(`rule ${rule.alert}{${id}} fires in a test with all its annotations`, () => {
      const match = (e: ExpAlert) => fixed.every(([k, v]) => e.exp_labels?.[k] === v);
      const hits = cases
        .filter((c) => c.alertname === rule.alert)
        .flatMap((c) => (c.exp_alerts ?? []).filter(match));
      assert.ok(hits.length > 0, `no exp_alerts for ${rule.alert}{${id}}`);
      for (const e of hits) {
        assert.deepEqual(
          Object.keys(e.exp_annotations ?? {}).sort(),
          Object.keys(rule.annotations ?? {}).sort(),
          `${rule.alert}: exp_annotations must list every annotation`,
        );
      }
    });
  }
});

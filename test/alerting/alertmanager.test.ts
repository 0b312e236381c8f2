// Runs the real amtool (Alertmanager 0.28.1, built at the release .env pins) on alertmanager/alertmanager.yml: config check,
// routing of every severity, inhibition and secrets settings, and rendering of every template.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ALERTMANAGER_CONFIG, loadYaml, ROOT, run, tool } from "./support.ts";

const amtool = tool("amtool");
const scratch = mkdtempSync(join(tmpdir(), "fediflow-alertmanager-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Receivers amtool resolves for a label set, in routing order. */
function routes(labels: Record<string, string>): string[] {
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const r = run(amtool, ["config", "routes", "test", `--config.file=${ALERTMANAGER_CONFIG}`, ...args]);
  assert.equal(r.code, 0, r.output);
  return r.stdout.trim().split(",");
}

/** Asserts with amtool's own --verify.receivers as well as by reading its answer. */
function assertRoutes(labels: Record<string, string>, expected: string[]): void {
  assert.deepEqual(routes(labels), expected);
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const verify = run(amtool, [
    "config",
    "routes",
    "test",
    `--config.file=${ALERTMANAGER_CONFIG}`,
    `--verify.receivers=${expected.join(",")}`,
    ...args,
  ]);
  assert.equal(verify.code, 0, verify.output);
}

type Config = {
  global: Record<string, unknown>;
  route: { group_by: string[]; receiver: string };
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: {
    name: string;
    webhook_configs?: {
      url?: string;
      url_file?: string;
      http_config?: { authorization?: { credentials_file?: string } };
    }[];
    slack_configs?: Record<string, unknown>[];
    email_configs?: Record<string, unknown>[];
  }[];
  templates: string[];
};
const config = loadYaml<Config>(ALERTMANAGER_CONFIG);

describe("amtool check-config", () => {
  test("alertmanager.yml and its templates are valid", () => {
    const r = run(amtool, ["check-config", ALERTMANAGER_CONFIG]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    assert.match(r.output, /1 inhibit rules/);
    assert.match(r.output, /1 templates/);
  });

  test("check-config can fail: an unknown field is rejected", () => {
    const broken = join(scratch, "broken.yml");
    writeFileSync(broken, `${readFileSync(ALERTMANAGER_CONFIG, "utf8")}\nno_such_field: true\n`);
    assert.notEqual(run(amtool, ["check-config", broken]).code, 0);
  });
});

describe("amtool config routes test", () => {
  test("critical goes to the service webhook, then email + Slack (critical-alerts)", () => {
    assertRoutes(
      { alertname: "HighErrorRate", severity: "critical", service: "fediflow-api", cluster: "c" },
      ["web.hook", "critical-alerts"],
    );
  });

  test("warning goes to the service webhook, then Slack (warning-alerts)", () => {
    assertRoutes(
      {
        alertname: "DatabaseConnectionPoolExhausted",
        severity: "warning",
        service: "fediflow-api",
        cluster: "c",
      },
      ["web.hook", "warning-alerts"],
    );
  });

  test("Watchdog (severity none) goes to the dead man's switch only", () => {
    assertRoutes({ alertname: "Watchdog", severity: "none", service: "monitoring", cluster: "c" }, [
      "deadmans-switch",
    ]);
  });

  test("an alert without severity, or with another one, goes to the default webhook only", () => {
    assertRoutes({ alertname: "SomethingElse" }, ["web.hook"]);
    assertRoutes({ alertname: "SomethingElse", severity: "info", service: "x" }, ["web.hook"]);
    assertRoutes({ alertname: "NotTheWatchdog", severity: "none" }, ["web.hook"]);
    assert.equal(config.route.receiver, "web.hook");
  });

  test("routing can fail: --verify.receivers rejects a wrong expectation", () => {
    const r = run(amtool, [
      "config",
      "routes",
      "test",
      `--config.file=${ALERTMANAGER_CONFIG}`,
      "--verify.receivers=critical-alerts",
      "severity=warning",
    ]);
    assert.notEqual(r.code, 0, r.output);
  });
});

describe("alertmanager.yml settings", () => {
  test("groups by alertname, cluster and service", () => {
    assert.deepEqual(config.route.group_by, ["alertname", "cluster", "service"]);
  });

  test("critical inhibits warning of the same cluster and service", () => {
    assert.deepEqual(config.inhibit_rules, [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["cluster", "service"],
      },
    ]);
  });

  test("secrets come from files, never literals", () => {
    const text = readFileSync(ALERTMANAGER_CONFIG, "utf8");
    assert.doesNotMatch(text, /hooks\.slack\.com/);
    assert.doesNotMatch(text, /^\s*(smtp_auth_password|api_url|slack_api_url|credentials):/m);
    assert.equal(config.global.smtp_auth_password_file, "/etc/alertmanager/secrets/smtp_password");
    assert.equal(config.global.slack_api_url_file, "/etc/alertmanager/secrets/slack_api_url");
    for (const receiver of config.receivers) {
      for (const w of receiver.webhook_configs ?? []) {
        assert.match(w.http_config?.authorization?.credentials_file ?? "", /^\/etc\/alertmanager\/secrets\//);
      }
    }
    const hook = config.receivers.find((r) => r.name === "web.hook");
    assert.equal(hook?.webhook_configs?.[0]?.url, "http://app:3000/api/v1/ops/alerts");
    // The dead man's switch URL carries its secret, so it comes from a file (url_file, Alertmanager
    // >= 0.26) mounted by compose like the other secrets.
    const deadman = config.receivers.find((r) => r.name === "deadmans-switch")?.webhook_configs?.[0];
    assert.equal(deadman?.url, undefined);
    assert.equal(deadman?.url_file, "/etc/alertmanager/secrets/deadmans_switch_url");
    assert.match(
      readFileSync(join(ROOT, "compose.yaml"), "utf8"),
      /target: \/etc\/alertmanager\/secrets\/deadmans_switch_url/,
    );
  });
});

describe("notification templates", () => {
  const alert = (status: string, summary: string) => ({
    status,
    labels: { alertname: "HighErrorRate", severity: "critical", service: "fediflow-api", cluster: "c1" },
    annotations: {
      summary,
      description: "20% of the requests failed",
      runbook_url: "https://github.com/fediflow/fediflow-api/blob/main/docs/runbooks/HighErrorRate.md",
    },
    startsAt: "2026-11-25T10:00:00Z",
    endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2026-11-25T10:30:00Z",
    generatorURL: "http://prometheus:9090/graph?g0.expr=x",
    fingerprint: summary,
  });
  const data = {
    receiver: "critical-alerts",
    status: "firing",
    alerts: [alert("firing", "Too many 5xx"), alert("resolved", "Earlier 5xx burst")],
    groupLabels: { alertname: "HighErrorRate", service: "fediflow-api", cluster: "c1" },
    commonLabels: { alertname: "HighErrorRate", severity: "critical", service: "fediflow-api" },
    commonAnnotations: {
      runbook_url: "https://github.com/fediflow/fediflow-api/blob/main/docs/runbooks/HighErrorRate.md",
    },
    externalURL: "http://alertmanager:9093",
  };
  const dataFile = join(scratch, "data.json");
  writeFileSync(dataFile, JSON.stringify(data));

  function render(name: string, type = "text"): string {
    const r = run(amtool, [
      "template",
      "render",
      `--template.glob=${join(ROOT, "alertmanager", "templates", "*.tmpl")}`,
      `--template.data=${dataFile}`,
      `--template.type=${type}`,
      `--template.text={{ template "${name}" . }}`,
    ]);
    assert.equal(r.code, 0, r.output);
    return r.stdout;
  }

  test("every template the configuration names exists and renders", () => {
    const names = [...readFileSync(ALERTMANAGER_CONFIG, "utf8").matchAll(/template "([^"]+)"/g)].map(
      (m) => m[1],
    );
    assert.ok(names.length >= 6);
    for (const name of new Set(names))
      render(name as string, name === "fediflow.email.html" ? "html" : "text");
  });

  test("email subject and body carry status, severity, summary and runbook", () => {
    assert.equal(render("fediflow.email.subject"), "[FIRING:1] CRITICAL: HighErrorRate (fediflow-api) in c1");
    const text = render("fediflow.email.text");
    assert.match(text, /FIRING: Too many 5xx/);
    assert.match(
      text,
      /Runbook: https:\/\/github\.com\/fediflow\/fediflow-api\/blob\/main\/docs\/runbooks\/HighErrorRate\.md/,
    );
    assert.match(text, /RESOLVED: Earlier 5xx burst/);
    assert.match(
      render("fediflow.email.html", "html"),
      /<a href="https:\/\/github\.com\/fediflow\/.*HighErrorRate\.md">Runbook<\/a>/,
    );
  });

  test("Slack title, colour, link and text", () => {
    assert.equal(render("fediflow.slack.title"), "[FIRING:1] HighErrorRate · fediflow-api · c1");
    assert.equal(render("fediflow.slack.color"), "danger");
    assert.equal(render("fediflow.slack.runbook"), data.commonAnnotations.runbook_url);
    assert.match(
      render("fediflow.slack.text"),
      /:fire: \*Too many 5xx\*\n20% of the requests failed\n<https:.*\|Runbook>/,
    );
  });
});

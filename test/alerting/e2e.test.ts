// End to end with the real programs on loopback, at the releases .env pins: Prometheus 3.7 scrapes the
// running service (OpenMetrics, exemplars) with the repository's rules, sped up 60x by
// prometheus/generate-rules.ts (not hand-copied); fault
// injection raises the error ratio; HighErrorRate goes pending then firing; Alertmanager 0.28, configured
// from alertmanager/alertmanager.yml (only addresses, secrets and group timings replaced), routes it;
// the service's own webhook stores it. Every step is asserted; every process is stopped at the end.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { firingAlerts, runScenario } from "../../loadtest/runner/run.ts";
import { Api, createSchool, expectStatus, type School } from "../support/api.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { freePort, pollUntil, type RunningProcess, startProcess } from "../support/processes.ts";
import { ADMIN_TOKEN, type SpawnedServer, spawnServer } from "../support/spawn.ts";
import { ALERTMANAGER_CONFIG, loadYaml, ROOT, tool } from "./support.ts";

const SCALE = 60;
const scratch = mkdtempSync(join(tmpdir(), "fediflow-e2e-"));
let service: SpawnedServer;
let school: School;
let prometheus: RunningProcess;
let alertmanager: RunningProcess;
let prometheusUrl = "";
let alertmanagerUrl = "";
let traffic: { stop: () => Promise<void> } | undefined;
let otlp: OtlpReceiver;

interface AlertmanagerConfig {
  global: Record<string, string>;
  templates: string[];
  route: Record<string, unknown>;
  receivers: {
    name: string;
    webhook_configs?: {
      url?: string;
      url_file?: string;
      http_config: { authorization: { credentials_file: string } };
    }[];
  }[];
}

/** The committed Alertmanager config with test addresses, secret files and short group timings. */
function alertmanagerConfig(serviceUrl: string): string {
  const config = loadYaml<AlertmanagerConfig>(ALERTMANAGER_CONFIG);
  const secret = (name: string, value: string) => {
    const path = join(scratch, name);
    writeFileSync(path, value);
    return path;
  };
  config.global.smtp_smarthost = "127.0.0.1:1";
  config.global.smtp_auth_password_file = secret("smtp_password", "unused");
  config.global.slack_api_url_file = secret("slack_api_url", "http://127.0.0.1:1/slack");
  config.templates = [join(ROOT, "alertmanager", "templates", "*.tmpl")];
  Object.assign(config.route, { group_wait: "1s", group_interval: "2s" });
  for (const receiver of config.receivers) {
    for (const hook of receiver.webhook_configs ?? []) {
      delete hook.url_file;
      hook.url =
        receiver.name === "web.hook"
          ? `${serviceUrl}/api/v1/ops/alerts`
          : "http://127.0.0.1:1/deadmans-switch";
      hook.http_config.authorization.credentials_file = secret(`${receiver.name}-token`, ADMIN_TOKEN);
    }
  }
  return stringify(config);
}

function prometheusConfig(servicePort: number, alertmanagerPort: number, rulesDir: string): string {
  return stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s", external_labels: { cluster: "e2e" } },
    rule_files: [join(rulesDir, "*.yml")],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
    scrape_configs: [
      {
        job_name: "fediflow-api",
        // As prometheus/prometheus.yml: OpenMetrics first, for the histograms' exemplars.
        scrape_protocols: ["OpenMetricsText1.0.0", "PrometheusText0.0.4"],
        static_configs: [{ targets: [`127.0.0.1:${servicePort}`] }],
      },
    ],
  });
}

/** Steady authenticated reads, a few per second, until stopped. */
function startTraffic(api: Api): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await api.get("/courses").catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return pollUntil(probe, {
    timeoutMs,
    intervalMs: 500,
    description: what,
    detail: () =>
      `\nPrometheus:\n${prometheus?.output().slice(-2000)}\nAlertmanager:\n${alertmanager?.output().slice(-2000)}`,
  });
}

async function alertState(name: string): Promise<string | undefined> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as {
    data: { alerts: { state: string; labels: Record<string, string> }[] };
  };
  return body.data.alerts.find((a) => a.labels.alertname === name)?.state;
}

before(async () => {
  const rulesDir = join(scratch, "rules");
  const generated = spawnSync(
    process.execPath,
    [join(ROOT, "prometheus", "generate-rules.ts"), `--scale=${SCALE}`, `--out=${rulesDir}`],
    {
      encoding: "utf8",
    },
  );
  assert.equal(generated.status, 0, generated.stderr);

  // Traces on (to a local OTLP sink): only sampled requests carry trace-id exemplars.
  otlp = await startOtlpReceiver();
  service = await spawnServer({
    env: {
      FAULT_INJECTION: "true",
      RATE_LIMIT_MAX: "1000000",
      OTEL_SDK_DISABLED: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_TRACES_SAMPLER: "always_on",
      OTEL_LOGS_EXPORTER: "none",
      OTEL_METRICS_EXPORTER: "none",
    },
  });
  school = await createSchool(service.url, "alerting-e2e");
  expectStatus(await school.instructor.post("/courses", { title: "Observed", course_type: "live" }), 201);

  const amPort = await freePort();
  alertmanagerUrl = `http://127.0.0.1:${amPort}`;
  const amConfig = join(scratch, "alertmanager.yml");
  writeFileSync(amConfig, alertmanagerConfig(service.url));
  alertmanager = await startProcess(
    tool("alertmanager"),
    [
      `--config.file=${amConfig}`,
      `--storage.path=${join(scratch, "am")}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      "--cluster.listen-address=",
    ],
    `${alertmanagerUrl}/-/ready`,
  );

  const promPort = await freePort();
  prometheusUrl = `http://127.0.0.1:${promPort}`;
  const promConfig = join(scratch, "prometheus.yml");
  writeFileSync(promConfig, prometheusConfig(service.port, amPort, rulesDir));
  prometheus = await startProcess(
    tool("prometheus"),
    [
      `--config.file=${promConfig}`,
      "--enable-feature=exemplar-storage",
      `--storage.tsdb.path=${join(scratch, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    `${prometheusUrl}/-/ready`,
  );
  traffic = startTraffic(school.student);
});

after(async () => {
  await traffic?.stop();
  await prometheus?.stop();
  await alertmanager?.stop();
  await service?.stop();
  await otlp?.close();
  rmSync(scratch, { recursive: true, force: true });
});

// Error-based alerts only: latency alerts depend on how fast this shared machine is, and tests never
// assert wall-clock times (the runner reports them).
const ERROR_ALERTS = ["HighErrorRate", "AvailabilitySLOBudgetBurn"];

test("the load scenario, run by the load-test runner, leaves the error alerts silent", async () => {
  // The load shape at 1/50 of its length (about 8 s, up to 50 journeys/s), loopback only.
  const result = await runScenario("load", {
    baseUrl: service.url,
    adminToken: ADMIN_TOKEN,
    scale: 0.02,
    prometheusUrl,
  });
  assert.equal(
    result.stats.reduce((n, s) => n + s.failed, 0),
    0,
    "no request failed",
  );
  assert.ok(result.firingAlerts, "the runner read Prometheus' alerts");
  assert.deepEqual(
    result.firingAlerts.filter((a) => ERROR_ALERTS.includes(a)),
    [],
  );
});

test("a fault raises HighErrorRate: pending, firing, routed by Alertmanager, received by the service's webhook", async () => {
  const ops = new Api(service.url, { token: ADMIN_TOKEN });
  // Healthy traffic first: the alert must stay silent.
  await poll("the service scraped", 30_000, async () => {
    const body = (await (
      await fetch(
        `${prometheusUrl}/api/v1/query?query=${encodeURIComponent('sum(http_requests_total{job="fediflow-api"})')}`,
      )
    ).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    return Number(body.data.result[0]?.value[1] ?? 0) > 10 ? true : undefined;
  });
  assert.equal(await alertState("HighErrorRate"), undefined, "silent under healthy traffic");

  // Prometheus 3 scrapes the service's OpenMetrics: the target is healthy and the latency histogram
  // carries trace-id exemplars.
  const target = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
    data: { activeTargets: { health: string; lastError: string; labels: Record<string, string> }[] };
  };
  const service_ = target.data.activeTargets.find((t) => t.labels.job === "fediflow-api");
  assert.equal(service_?.health, "up", service_?.lastError);
  const exemplars = await poll("an exemplar on the service's latency histogram", 30_000, async () => {
    const now = Date.now() / 1000;
    const query = new URLSearchParams({
      query: 'http_request_duration_seconds_bucket{job="fediflow-api"}',
      start: String(now - 600),
      end: String(now + 60),
    });
    const body = (await (await fetch(`${prometheusUrl}/api/v1/query_exemplars?${query}`)).json()) as {
      data: { exemplars: { labels: Record<string, string> }[] }[];
    };
    const all = body.data.flatMap((s) => s.exemplars);
    return all.length > 0 ? all : undefined;
  });
  assert.ok(
    exemplars.every((e) => /^[0-9a-f]{32}$/.test(e.labels.trace_id ?? "")),
    JSON.stringify(exemplars[0]),
  );

  const faultOn = Date.now();
  expectStatus(
    await ops.request("PUT", "/ops/faults", {
      rules: [{ route: "/api/v1/courses", error_rate: 0.5, status: 503 }],
    }),
    200,
  );

  const pendingAt = await poll("HighErrorRate pending", 60_000, async () =>
    (await alertState("HighErrorRate")) === "pending" ? Date.now() : undefined,
  );
  const firingAt = await poll("HighErrorRate firing", 60_000, async () =>
    (await alertState("HighErrorRate")) === "firing" ? Date.now() : undefined,
  );
  assert.ok(firingAt >= pendingAt);

  const routed = await poll("HighErrorRate in Alertmanager", 30_000, async () => {
    const alerts = (await (
      await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=alertname%3D%22HighErrorRate%22`)
    ).json()) as {
      labels: Record<string, string>;
      receivers: { name: string }[];
      status: { state: string };
    }[];
    return alerts.find((a) => a.status.state === "active");
  });
  assert.equal(routed.labels.severity, "critical");
  assert.equal(routed.labels.cluster, "e2e");
  assert.deepEqual(routed.receivers.map((r) => r.name).sort(), ["critical-alerts", "web.hook"]);

  const received = await poll("HighErrorRate at the service's webhook", 30_000, async () => {
    const list = await ops.get<{
      items: { alertname: string; status: string; severity: string; annotations: Record<string, string> }[];
    }>("/ops/alerts?status=firing");
    return list.body.items.find((a) => a.alertname === "HighErrorRate");
  });
  const receivedAt = Date.now();
  assert.equal(received.severity, "critical");
  assert.match(received.annotations.runbook_url ?? "", /docs\/runbooks\/HighErrorRate\.md$/);
  process.stdout.write(
    `fault on → pending ${((pendingAt - faultOn) / 1000).toFixed(1)} s → firing ${((firingAt - faultOn) / 1000).toFixed(1)} s → webhook ${((receivedAt - faultOn) / 1000).toFixed(1)} s (rules at 1/${SCALE} time)\n`,
  );

  expectStatus(await ops.request("PUT", "/ops/faults", { rules: [] }), 200);
});

test("the stress scenario with fault injection fires the error alerts, as the runner reads them from Prometheus", async () => {
  const ops = new Api(service.url, { token: ADMIN_TOKEN });
  await poll("HighErrorRate resolved after the previous fault", 120_000, async () =>
    (await firingAlerts(prometheusUrl)).includes("HighErrorRate") ? undefined : true,
  );
  expectStatus(
    await ops.request("PUT", "/ops/faults", {
      rules: [{ route: "/api/v1/courses", error_rate: 0.5, status: 503 }],
    }),
    200,
  );
  // The stress shape at 1/100 of its length (about 6 s); the background reads keep the ratio up after it.
  const result = await runScenario("stress", {
    baseUrl: service.url,
    adminToken: ADMIN_TOKEN,
    scale: 0.01,
    prometheusUrl,
  });
  assert.ok(
    result.stats.some((s) => s.route === "GET /api/v1/courses" && s.failed > 0),
    "the fault hit the stress traffic",
  );
  const firing = await poll("the error alerts firing", 90_000, async () => {
    const names = await firingAlerts(prometheusUrl);
    return ERROR_ALERTS.every((a) => names.includes(a)) ? names : undefined;
  });
  for (const alert of ERROR_ALERTS) assert.ok(firing.includes(alert), `${alert} fires`);
  expectStatus(await ops.request("PUT", "/ops/faults", { rules: [] }), 200);
});

// Starts the real Alertmanager (0.28.1, built at the release .env pins) on 127.0.0.1 with the
// committed alertmanager.yml, posts alerts through its API and checks which ones the inhibition
// rule suppresses. Notifications it tries to send (app:3000, SMTP, Slack) fail harmlessly: the
// receivers are unreachable from here and group_wait outlasts the test anyway.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, type RunningProcess, startProcess } from "../support/processes.ts";
import { ALERTMANAGER_CONFIG, tool } from "./support.ts";

const scratch = mkdtempSync(join(tmpdir(), "fediflow-am-"));
let alertmanager: RunningProcess | undefined;
let base = "";

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  alertmanager = await startProcess(
    tool("alertmanager"),
    [
      `--config.file=${ALERTMANAGER_CONFIG}`,
      `--storage.path=${join(scratch, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    `${base}/-/ready`,
  );
});

after(async () => {
  await alertmanager?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

type Labels = Record<string, string>;
type AmAlert = { labels: Labels; status: { state: string; inhibitedBy: string[] } };

async function post(alerts: Labels[]): Promise<void> {
  const res = await fetch(`${base}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(alerts.map((labels) => ({ labels }))),
  });
  assert.equal(res.status, 200, await res.text());
}

async function states(): Promise<Map<string, string>> {
  const res = await fetch(`${base}/api/v2/alerts`);
  const alerts = (await res.json()) as AmAlert[];
  return new Map(alerts.map((a) => [a.labels.id as string, a.status.state]));
}

describe("inhibition: critical mutes warning of the same cluster and service", () => {
  test("the real Alertmanager suppresses exactly the expected alerts", async () => {
    const alert = (id: string, alertname: string, severity: string, service: string, more: Labels = {}) => ({
      id,
      alertname,
      severity,
      service,
      cluster: "prod",
      ...more,
    });
    await post([
      alert("api-down", "FediflowApiDown", "critical", "fediflow-api"),
      alert("api-instance", "FediflowApiInstanceDown", "warning", "fediflow-api", {
        instance: "10.0.0.2:3000",
      }),
      alert("api-slo-ticket", "AvailabilitySLOBudgetBurn", "warning", "fediflow-api", {
        slo: "availability",
      }),
      alert("api-slo-page", "AvailabilitySLOBudgetBurn", "critical", "fediflow-api", { slo: "availability" }),
      alert("redis-exporter", "RedisExporterDown", "warning", "redis"),
      alert("other-cluster", "FediflowApiInstanceDown", "warning", "fediflow-api", { cluster: "staging" }),
      alert("disk-low-a", "DiskSpaceRunningLow", "critical", "node/a:9100", { instance: "a:9100" }),
      alert("disk-filling-a", "DiskSpaceFillingUp", "warning", "node/a:9100", { instance: "a:9100" }),
      alert("disk-filling-b", "DiskSpaceFillingUp", "warning", "node/b:9100", { instance: "b:9100" }),
      alert("watchdog", "Watchdog", "none", "monitoring"),
    ]);
    let got = new Map<string, string>();
    for (let i = 0; i < 50; i++) {
      got = await states();
      if (got.get("api-instance") === "suppressed" && got.get("disk-filling-a") === "suppressed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(Object.fromEntries([...got].sort()), {
      "api-down": "active",
      "api-instance": "suppressed", // same service, warning under a critical
      "api-slo-page": "active", // criticals never mute criticals
      "api-slo-ticket": "suppressed",
      "disk-filling-a": "suppressed", // same host
      "disk-filling-b": "active", // another host: service node/b:9100
      "disk-low-a": "active",
      "other-cluster": "active", // another cluster
      "redis-exporter": "active", // another service
      watchdog: "active",
    });
  });
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, expectStatus } from "../../test/support/api.ts";
import { ADMIN_TOKEN, startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let ops: Api;

before(async () => {
  target = await startTarget();
  ops = new Api(target.fetch, { token: ADMIN_TOKEN });
});
after(() => target.close());

function payload(status: "firing" | "resolved", fingerprint = "a1b2c3d4e5f60718") {
  return {
    version: "4",
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status,
    receiver: "web.hook",
    groupLabels: { alertname: "HighErrorRate" },
    commonLabels: { alertname: "HighErrorRate", severity: "critical", service: "fediflow-api" },
    commonAnnotations: { summary: "High error rate detected" },
    externalURL: "http://alertmanager:9093",
    alerts: [
      {
        status,
        labels: { alertname: "HighErrorRate", severity: "critical", service: "fediflow-api" },
        annotations: { summary: "High error rate detected", runbook_url: "https://example/runbook" },
        startsAt: "2026-11-25T10:00:00.000Z",
        endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2026-11-25T10:20:00.000Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint,
      },
    ],
  };
}

test("Alertmanager's v4 payload is stored once per fingerprint and status", async () => {
  const first = await ops.post<{ received: number; stored: number }>("/ops/alerts", payload("firing"));
  expectStatus(first, 200);
  assert.deepEqual(first.body, { received: 1, stored: 1 });
  const repeat = await ops.post<{ stored: number }>("/ops/alerts", payload("firing"));
  assert.equal(repeat.body.stored, 0, "a repeated notification is not stored twice");
  const resolved = await ops.post<{ stored: number }>("/ops/alerts", payload("resolved"));
  assert.equal(resolved.body.stored, 1);

  const list = await ops.get<{
    items: { status: string; alertname: string; severity: string; ends_at: string | null }[];
  }>("/ops/alerts");
  expectStatus(list, 200);
  assert.deepEqual(
    list.body.items.map((a) => [a.alertname, a.status, a.severity]),
    [
      ["HighErrorRate", "firing", "critical"],
      ["HighErrorRate", "resolved", "critical"],
    ],
  );
  assert.equal(list.body.items[0]?.ends_at, null, "Alertmanager's zero time means not ended");
  const firing = await ops.get<{ items: unknown[] }>("/ops/alerts?status=firing");
  assert.equal(firing.body.items.length, 1);
});

test("the webhook needs the bearer token and a valid payload", async () => {
  expectStatus(await new Api(target.fetch).post("/ops/alerts", payload("firing")), 401);
  const invalid = await ops.post<{ error: { fields: { path: string }[] } }>("/ops/alerts", {
    ...payload("firing"),
    version: "3",
  });
  expectStatus(invalid, 422);
  assert.ok(invalid.body.error.fields.some((f) => f.path === "json.version"));
  expectStatus(await ops.post("/ops/alerts", { ...payload("firing"), alerts: [{ status: "firing" }] }), 422);
});

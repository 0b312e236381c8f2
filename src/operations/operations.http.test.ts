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

test("ops endpoints need the admin token", async () => {
  expectStatus(await new Api(target.fetch).get("/ops/db/connections"), 401);
});

test("connection states come from pg_stat_activity", async () => {
  const response = await ops.get<{ items: { state: string; connection_count: number }[] }>(
    "/ops/db/connections",
  );
  expectStatus(response, 200);
  assert.ok(Array.isArray(response.body.items));
});

test("lock waits come from pg_locks", async () => {
  const response = await ops.get<{ items: unknown[] }>("/ops/db/locks");
  expectStatus(response, 200);
  assert.deepEqual(response.body.items, []);
});

test("slow queries need pg_stat_statements: a 409 that says how to enable it, or the statements", async () => {
  const response = await ops.get<{
    items?: { calls: number; avg_time_ms: number }[];
    error?: { code: string; message: string };
  }>("/ops/db/slow-queries?min_calls=0&limit=5");
  if (process.env.TEST_DATABASE_URL) {
    // The integration server is set up with the extension (scripts/test-services.sh).
    expectStatus(response, 200);
    assert.ok((response.body.items ?? []).length > 0);
    assert.equal(typeof response.body.items?.[0]?.avg_time_ms, "number");
  } else {
    expectStatus(response, 409);
    assert.equal(response.body.error?.code, "extension_missing");
    assert.match(response.body.error?.message ?? "", /shared_preload_libraries/);
  }
});

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
  assert.deepEqual(first.body, { received: 1, stored: 1, refused: [] });
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

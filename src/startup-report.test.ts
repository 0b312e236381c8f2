import assert from "node:assert/strict";
import { type AddressInfo, createServer } from "node:net";
import { test } from "node:test";
import { freePort } from "../test/support/processes.ts";
import { loadConfig } from "./config.ts";
import { type StartupFacts, startupReport, unreachableTelemetry } from "./startup-report.ts";

const facts = (env: Record<string, string>, overrides: Partial<StartupFacts> = {}): StartupFacts => ({
  config: loadConfig(env),
  url: "http://localhost:3000",
  port: 3000,
  runtime: "Node.js v24.0.0",
  database: env.DATABASE_URL ? "postgresql" : "embedded",
  cache: env.REDIS_URL ? "redis" : "memory",
  federationOrigin:
    env.FEDERATION_ENABLED === "false" ? undefined : (env.FEDERATION_ORIGIN ?? "http://localhost:3000"),
  admin: { source: "environment", token: "t".repeat(16) },
  ...overrides,
});
/** The report as `message` templates filled in, the way LogTape renders them. */
const rendered = (f: StartupFacts) =>
  startupReport(f).map((l) => ({
    level: l.level,
    text: l.message.replace(/\{(\w+)\}/g, (_, name: string) => String(l.properties[name])),
  }));

test("servers in use are named by URL, never with their passwords", () => {
  const lines = rendered(
    facts({
      DATABASE_URL: "postgres://app:db-secret@db.internal:5432/fediflow",
      REDIS_URL: "redis://:redis-secret@cache.internal:6379/0",
    }),
  );
  const text = lines.map((l) => l.text).join("\n");
  assert.match(text, /^Database: PostgreSQL at postgres:\/\/app@db\.internal:5432\/fediflow$/m);
  assert.match(text, /^Cache: Redis at redis:\/\/cache\.internal:6379\/0$/m);
  assert.doesNotMatch(text, /secret/);
});

test("what is off says so, with the setting that turns it on", () => {
  const text = rendered(
    facts({ FEDERATION_ENABLED: "false", METRICS_ENABLED: "false", OTEL_SDK_DISABLED: "true" }),
  )
    .map((l) => l.text)
    .join("\n");
  assert.match(text, /^Federation: off \(FEDERATION_ENABLED=false\)$/m);
  assert.match(
    text,
    /^Telemetry: OTLP export off \(OTEL_SDK_DISABLED=true\); metrics off \(METRICS_ENABLED=false\)$/m,
  );

  const tracesOnly = rendered(
    facts({ OTEL_LOGS_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel:4318" }),
  );
  assert.ok(
    tracesOnly.some(
      (l) =>
        l.text ===
        "Telemetry: traces to http://otel:4318/v1/traces, logs to nowhere (OTEL_LOGS_EXPORTER=none) (OTLP/HTTP); Prometheus metrics at http://localhost:3000/metrics",
    ),
    tracesOnly.map((l) => l.text).join("\n"),
  );
  const origin = rendered(facts({ FEDERATION_ORIGIN: "https://school.example" }));
  assert.ok(origin.some((l) => l.text === "Federation: ActivityPub actors at https://school.example"));
});

test("admin access: the token's file on later starts, a warning in production", () => {
  const again = rendered(
    facts(
      {},
      { admin: { source: "file", token: "x".repeat(43), path: "/srv/data/admin-token", created: false } },
    ),
  );
  const line = again.find((l) => l.text.startsWith("Admin access:"));
  assert.equal(
    line?.text,
    "Admin access: this instance's token is in /srv/data/admin-token (readable by this user only); it is the bearer token for POST /api/v1/tenants and /api/v1/ops: export ADMIN_TOKEN=$(cat /srv/data/admin-token)",
  );
  assert.ok(
    !JSON.stringify(
      startupReport(
        facts({}, { admin: { source: "file", token: "x".repeat(43), path: "/p", created: true } }),
      ),
    ).includes("x".repeat(43)),
  );
  const production = rendered(
    facts({ NODE_ENV: "production" }, { admin: { source: "disabled", token: undefined } }),
  );
  assert.equal(production.find((l) => l.text.startsWith("Admin access:"))?.level, "warn");
});

test("the OTLP receiver is probed once per host and port: a listening one passes, a closed port is reported", async () => {
  const listening = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  const open = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  try {
    assert.deepEqual(
      await unreachableTelemetry({ traces: `${open}/v1/traces`, logs: `${open}/v1/logs` }),
      [],
    );
  } finally {
    listening.close();
  }
  const closed = `http://127.0.0.1:${await freePort()}`;
  const warnings = await unreachableTelemetry({ traces: `${closed}/v1/traces`, logs: `${closed}/v1/logs` });
  assert.equal(warnings.length, 1, "one receiver, one warning");
  assert.equal(warnings[0]?.level, "warn");
  assert.deepEqual(warnings[0]?.properties, { endpoint: closed, reason: "ECONNREFUSED" });
  assert.deepEqual(await unreachableTelemetry({ traces: undefined, logs: undefined }), []);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "./config.ts";

test("defaults give a runnable development configuration", () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.database.url, undefined, "embedded PGlite when DATABASE_URL is unset");
  assert.equal(config.redis.url, undefined, "in-process cache when REDIS_URL is unset");
  assert.equal(config.service.name, "fediflow-api");
  assert.equal(config.health.timeoutMs, 5000);
});

test("empty variables count as unset", () => {
  assert.equal(loadConfig({ DATABASE_URL: "", PORT: "" }).port, 3000);
});

for (const [variable, value] of [
  ["PORT", "70000"],
  ["PORT", "eighty"],
  ["DATABASE_URL", "mysql://db/app"],
  ["REDIS_URL", "not a url"],
  ["LOG_LEVEL", "loud"],
  ["ADMIN_TOKEN", "short"],
  ["DATABASE_POOL_MAX", "0"],
  ["METRICS_ENABLED", "maybe"],
  ["DATABASE_QUERY_TIMEOUT_MS", "0"],
  ["HTTP_HEADERS_TIMEOUT_MS", "soon"],
  ["HTTP_REQUEST_TIMEOUT_MS", "-1"],
] as const) {
  test(`${variable}=${value} is rejected with a message naming ${variable}`, () => {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(variable),
    );
  });
}

test("bounds default to a few seconds, and a header timeout longer than the request timeout is rejected", () => {
  const config = loadConfig({});
  assert.equal(config.database.queryTimeoutMs, 5000);
  assert.deepEqual(config.http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  assert.throws(
    () => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "60000", HTTP_REQUEST_TIMEOUT_MS: "30000" }),
    (error: unknown) => error instanceof ConfigError && error.message.includes("HTTP_HEADERS_TIMEOUT_MS"),
  );
});

test("queue concurrency: 64 in a dedicated worker, 16 where the web runs too, a set value wins", () => {
  assert.equal(loadConfig({ NODE_TYPE: "worker" }).federation.queue.concurrency, 64);
  assert.equal(loadConfig({}).federation.queue.concurrency, 16);
  assert.equal(loadConfig({ NODE_TYPE: "web" }).federation.queue.concurrency, 16);
  assert.equal(
    loadConfig({ NODE_TYPE: "worker", FEDERATION_QUEUE_CONCURRENCY: "8" }).federation.queue.concurrency,
    8,
  );
});

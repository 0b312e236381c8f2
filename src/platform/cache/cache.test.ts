import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "@redis/client";
import { pollUntil } from "../../../test/support/processes.ts";
import { appLogger } from "../telemetry/logger.ts";
import type { Cache } from "./cache.ts";
import { CacheUnavailableError } from "./cache.ts";
import { createMemoryCache } from "./memory-cache.ts";
import { createRedisCache } from "./redis-cache.ts";

let clock = 1_000_000;
const caches: Cache[] = [];
after(() => Promise.all(caches.map((c) => c.close())));

function implementations(): [string, Cache, (seconds: number) => Promise<void>][] {
  const memory = createMemoryCache(() => clock);
  caches.push(memory);
  const list: [string, Cache, (seconds: number) => Promise<void>][] = [
    [
      "memory",
      memory,
      async (s) => {
        clock += s * 1000;
      },
    ],
  ];
  if (process.env.TEST_REDIS_URL) {
    const redis = createRedisCache(
      process.env.TEST_REDIS_URL,
      { commandTimeoutMs: 1000, slowCommandMs: 100 },
      appLogger("test"),
    );
    caches.push(redis);
    list.push(["redis", redis, (s) => new Promise((r) => setTimeout(r, s * 1000 + 100))]);
  }
  return list;
}

for (const [name, cache, advance] of implementations()) {
  const key = (k: string) => `test:${name}:${process.pid}:${k}`;

  test(`${name}: values expire after their TTL`, async () => {
    await waitReady(cache);
    await cache.set(key("a"), "1", 1);
    assert.equal(await cache.get(key("a")), "1");
    await advance(1);
    assert.equal(await cache.get(key("a")), null);
  });

  test(`${name}: hit counts within one fixed window`, async () => {
    const k = key(`rl-${Math.random()}`);
    assert.deepEqual((await cache.hit(k, 60)).count, 1);
    assert.deepEqual((await cache.hit(k, 60)).count, 2);
    const third = await cache.hit(k, 60);
    assert.equal(third.count, 3);
    assert.ok(third.resetSeconds >= 1 && third.resetSeconds <= 60);
  });

  test(`${name}: a window ends after its seconds and the next hit opens a new one`, async () => {
    const k = key(`rl-window-${Math.random()}`);
    await cache.hit(k, 1);
    assert.equal((await cache.hit(k, 1)).count, 2);
    await advance(1);
    const next = await cache.hit(k, 1);
    assert.equal(next.count, 1, "a new window counts from one");
    assert.equal(next.resetSeconds, 1);
  });

  test(`${name}: del removes a value`, async () => {
    await cache.set(key("d"), "x", 60);
    await cache.del(key("d"));
    assert.equal(await cache.get(key("d")), null);
  });
}

// Like the Redis cases above, run where Redis is (npm test's set-up provides it).
const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl)
  test("redis: a counter left without an expiry (a lost EXPIRE) gets the window's", async () => {
    const raw = createClient({ url: redisUrl });
    await raw.connect();
    const cache = createRedisCache(
      redisUrl,
      { commandTimeoutMs: 1000, slowCommandMs: 100 },
      appLogger("test"),
    );
    caches.push(cache);
    try {
      await waitReady(cache);
      const k = `test:redis:${process.pid}:rl-no-expiry-${Math.random()}`;
      await raw.set(k, "41");
      assert.deepEqual(await cache.hit(k, 30), { count: 42, resetSeconds: 30 });
      const ttl = await raw.ttl(k);
      assert.ok(ttl > 0 && ttl <= 30, `TTL ${ttl}`);
      await raw.del(k);
    } finally {
      await raw.close();
    }
  });

test("redis: an unreachable server fails fast with CacheUnavailableError", async () => {
  const cache = createRedisCache(
    "redis://127.0.0.1:1",
    { commandTimeoutMs: 200, slowCommandMs: 100 },
    appLogger("test"),
  );
  caches.push(cache);
  await assert.rejects(cache.get("x"), CacheUnavailableError);
  await assert.rejects(cache.ping(), CacheUnavailableError);
});

/** Redis connects in the background (redis-cache.ts): wait until it answers. */
const waitReady = (cache: Cache) =>
  pollUntil(() => cache.ping().then(() => true), { timeoutMs: 5000, intervalMs: 100, description: "Redis" });

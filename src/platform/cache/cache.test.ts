import assert from "node:assert/strict";
import { after, test } from "node:test";
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
    const redis = createRedisCache(process.env.TEST_REDIS_URL, 1000, appLogger("test"));
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

  test(`${name}: del removes a value`, async () => {
    await cache.set(key("d"), "x", 60);
    await cache.del(key("d"));
    assert.equal(await cache.get(key("d")), null);
  });
}

test("redis: an unreachable server fails fast with CacheUnavailableError", async () => {
  const cache = createRedisCache("redis://127.0.0.1:1", 200, appLogger("test"));
  caches.push(cache);
  await assert.rejects(cache.get("x"), CacheUnavailableError);
  await assert.rejects(cache.ping(), CacheUnavailableError);
});

async function waitReady(cache: Cache): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await cache.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

import type { Cache } from "./cache.ts";

interface Entry {
  value: string;
  expiresAt: number;
}

/** In-process stand-in for Redis when REDIS_URL is unset: single instance only, lost on restart. */
export function createMemoryCache(now: () => number = Date.now): Cache {
  const entries = new Map<string, Entry>();
  const sweep = setInterval(() => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
  }, 30_000);
  sweep.unref?.();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    kind: "memory",
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    async del(key) {
      entries.delete(key);
    },
    async hit(key, windowSeconds) {
      const entry = live(key) ?? { value: "0", expiresAt: now() + windowSeconds * 1000 };
      const count = Number(entry.value) + 1;
      entries.set(key, { value: String(count), expiresAt: entry.expiresAt });
      return { count, resetSeconds: Math.max(1, Math.ceil((entry.expiresAt - now()) / 1000)) };
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      entries.clear();
    },
  };
}

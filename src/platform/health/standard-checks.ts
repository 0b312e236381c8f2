import type { Cache } from "../cache/cache.ts";
import type { Database } from "../db/client.ts";
import type { Check } from "./checks.ts";

export const databaseCheck =
  (db: Database): Check =>
  async () => {
    await db.sql`select 1`;
    return { status: "ok", kind: db.kind };
  };

export const redisCheck =
  (cache: Cache): Check =>
  async () => {
    await cache.ping();
    return { status: "ok", kind: cache.kind };
  };

export const memoryCheck =
  (limitBytes: number): Check =>
  async () => {
    const { heapUsed, heapTotal, external, rss } = process.memoryUsage();
    return {
      status: heapUsed < limitBytes * 0.9 ? "ok" : "warning",
      heapUsed,
      heapTotal,
      external,
      rss,
      limit: limitBytes,
    };
  };

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

/** Known remote instances and how many of them are healthy. */
export type FederationHealthSource = () => Promise<{ healthy: number; total: number }>;

/** The spec's rule: ok when more than half of the known instances are healthy; none known is ok. */
export const federationCheck =
  (source: FederationHealthSource): Check =>
  async () => {
    const { healthy, total } = await source();
    return { status: total === 0 || healthy > total * 0.5 ? "ok" : "degraded", healthy, total };
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

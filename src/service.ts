import { createActivityService, localOnlyOutbox } from "./activities/service.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { createFederationService, type FederationService } from "./federation/service.ts";
import type { Cache } from "./platform/cache/cache.ts";
import { createMemoryCache } from "./platform/cache/memory-cache.ts";
import { createRedisCache } from "./platform/cache/redis-cache.ts";
import { connectDatabase } from "./platform/db/client.ts";
import { migrate } from "./platform/db/migrate.ts";
import { createHealthChecks } from "./platform/health/checks.ts";
import {
  databaseCheck,
  federationCheck,
  memoryCheck,
  redisCheck,
} from "./platform/health/standard-checks.ts";
import type { AppDeps, Lifecycle } from "./platform/http/context.ts";
import { createFaultInjector } from "./platform/http/middleware/faults.ts";
import { clientAddress } from "./platform/http/server.ts";
import { appLogger } from "./platform/telemetry/logger.ts";
import { createMetrics } from "./platform/telemetry/metrics.ts";
import { createTenantResolver } from "./tenants/service.ts";
import { createSessions } from "./users/sessions.ts";

/** Connects the dependencies, applies migrations and composes the app; `close` releases it all. */
export async function createService(config: Config) {
  const logger = appLogger();
  const metrics = createMetrics({
    maxTenants: config.metrics.maxTenants,
    maxInstances: config.federation.metricsMaxInstances,
  });
  const db = await connectDatabase(config.database);
  let cache: Cache | undefined;
  try {
    const applied = await migrate(db.sql);
    if (applied.length > 0) logger.info("Applied migrations {applied}", { applied });
    metrics.observePool(db.poolName, db.usage);
    cache = config.redis.url
      ? createRedisCache(config.redis.url, config.redis.commandTimeoutMs, appLogger("redis"))
      : createMemoryCache();
  } catch (error) {
    await db.close();
    throw error;
  }

  const health = createHealthChecks({
    timeoutMs: config.health.timeoutMs,
    version: config.service.version,
    environment: config.service.environment,
  });
  health.register("database", databaseCheck(db));
  health.register("redis", redisCheck(cache));
  const federation: FederationService | undefined = config.federation.enabled
    ? createFederationService({
        sql: db.sql,
        databaseKind: db.kind,
        config: config.federation,
        version: config.service.version,
        metrics,
        logger: appLogger("federation"),
      })
    : undefined;
  // Healthy = circuit closed; no known remote instance (or federation off) reports ok with total 0.
  health.register(
    "federation",
    federationCheck(
      federation ? () => federation.instances.summary() : async () => ({ healthy: 0, total: 0 }),
    ),
  );
  if (federation) metrics.observeFederation(() => federation.snapshot());
  health.register("memory", memoryCheck(config.health.memoryLimitBytes));

  const lifecycle: Lifecycle = { ready: false, shuttingDown: false };
  const deps: AppDeps = {
    config,
    db,
    cache,
    metrics,
    logger,
    sessions: createSessions(cache, config.sessionTtlSeconds),
    tenants: createTenantResolver(db.sql),
    activities: createActivityService(federation?.outbox ?? localOnlyOutbox),
    federation,
    health,
    faults: createFaultInjector(),
    lifecycle,
    clientAddress,
  };
  const app = createApp(deps);
  const openCache = cache;
  return {
    app,
    deps,
    lifecycle,
    federation,
    /**
     * Call once the server listens: actor URIs use FEDERATION_ORIGIN, else this address; the queue
     * worker runs here unless NODE_TYPE=web.
     */
    startFederation(listeningOrigin: string): void {
      if (!federation) return;
      federation.setOrigin(listeningOrigin);
      if (config.nodeType !== "web") federation.startWorker();
    },
    /** Stops taking queued deliveries and waits (bounded) for running ones; unfinished ones are released. */
    async drainFederation(timeoutMs: number): Promise<{ unfinished: number }> {
      return federation ? federation.stopWorker(timeoutMs) : { unfinished: 0 };
    },
    async close(): Promise<void> {
      await federation?.stopWorker(1000);
      await Promise.allSettled([db.close(), openCache.close()]);
    },
  };
}

export type Service = Awaited<ReturnType<typeof createService>>;

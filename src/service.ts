import { createActivityService, localOnlyOutbox } from "./activities/service.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { createContentService } from "./content/service.ts";
import { createCourseService } from "./courses/service.ts";
import { federationCheck } from "./federation/health.ts";
import { createOperationsService } from "./operations/service.ts";
import type { Cache } from "./platform/cache/cache.ts";
import { createMemoryCache } from "./platform/cache/memory-cache.ts";
import { createRedisCache } from "./platform/cache/redis-cache.ts";
import { connectDatabase } from "./platform/db/client.ts";
import { migrate } from "./platform/db/migrate.ts";
import { createHealthChecks } from "./platform/health/checks.ts";
import type { Lifecycle } from "./platform/health/routes.ts";
import { databaseCheck, memoryCheck, redisCheck } from "./platform/health/standard-checks.ts";
import { clientAddress } from "./platform/http/client-address.ts";
import { createFaultInjector } from "./platform/http/middleware/faults.ts";
import { appLogger } from "./platform/telemetry/logger.ts";
import { createMetrics } from "./platform/telemetry/metrics.ts";
import { createTenantService } from "./tenants/service.ts";
import { createUserService } from "./users/service.ts";
import { createSessions } from "./users/sessions.ts";

/**
 * The composition root: connects the platform (database, cache, telemetry, health), applies
 * migrations, builds each feature's service and the app; `close` releases it all.
 */
export async function createService(config: Config) {
  // Federation's modules, Fedify among them (~30 MB resident at rest), load only when it is on.
  const federationFeature = config.federation.enabled ? await import("./federation/feature.ts") : undefined;
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
      ? createRedisCache(config.redis.url, config.redis, appLogger("redis"))
      : createMemoryCache();
  } catch (error) {
    await db.close();
    throw error;
  }

  const { sql } = db;
  const federationLogger = appLogger("federation");
  // The delivery queue comes first: recording an activity enqueues its delivery in the same transaction.
  const queue = federationFeature?.createDeliveryQueue({
    sql,
    databaseKind: db.kind,
    config: config.federation,
    logger: federationLogger,
  });
  const activities = createActivityService(
    sql,
    federationFeature && queue ? federationFeature.createOutbox(queue) : localOnlyOutbox,
  );
  const sessions = createSessions(cache, config.sessionTtlSeconds);
  const users = createUserService({
    sql,
    sessions,
    passwordCost: config.passwordCost,
    metrics: metrics.domain,
  });
  const tenants = createTenantService({ sql, users });
  const courses = createCourseService({ sql, activities, metrics: metrics.domain });
  const content = createContentService({ sql, courses, activities, metrics: metrics.domain });
  const faults = createFaultInjector();
  const operations = createOperationsService({ sql, faults, faultInjection: config.faultInjection });
  const federation =
    federationFeature && queue
      ? federationFeature.createFederationService({
          sql,
          queue,
          config: config.federation,
          version: config.service.version,
          metrics,
          logger: federationLogger,
          ports: { tenants, users, courses, content, activities },
        })
      : undefined;

  const health = createHealthChecks({
    timeoutMs: config.health.timeoutMs,
    version: config.service.version,
    environment: config.service.environment,
  });
  health.register("database", databaseCheck(db));
  health.register("redis", redisCheck(cache));
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
  const services = {
    config,
    platform: { db, cache, metrics, logger, health, lifecycle, faults, clientAddress },
    sessions,
    tenants,
    users,
    courses,
    content,
    activities,
    operations,
    federation:
      federationFeature && federation ? { service: federation, routes: federationFeature } : undefined,
  };
  const app = createApp(services);
  const openCache = cache;
  return {
    app,
    services,
    /** The platform dependencies (database, cache, telemetry, health). */
    deps: services.platform,
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

import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { activityRoutes } from "./activities/routes.ts";
import type { ActivityService } from "./activities/service.ts";
import type { Config } from "./config.ts";
import { contentRoutes } from "./content/routes.ts";
import type { ContentService } from "./content/service.ts";
import { courseRoutes } from "./courses/routes.ts";
import type { CourseService } from "./courses/service.ts";
import type * as FederationFeature from "./federation/feature.ts";
import type { FederationService } from "./federation/service.ts";
import { ALERT_WEBHOOK_PATH, alertBatchTooLarge, operationsRoutes } from "./operations/routes.ts";
import type { OperationsService } from "./operations/service.ts";
import type { Cache } from "./platform/cache/cache.ts";
import type { HealthChecks } from "./platform/health/checks.ts";
import { healthRoutes, type Lifecycle } from "./platform/health/routes.ts";
import { apiReferenceRoutes } from "./platform/http/api-reference.ts";
import { API_PREFIX, answerUnmatched, observeRequests } from "./platform/http/app.ts";
import type { PlatformEnv } from "./platform/http/context.ts";
import { homeRoutes } from "./platform/http/home.ts";
import { limitBody } from "./platform/http/middleware/body-limit.ts";
import type { FaultInjector } from "./platform/http/middleware/faults.ts";
import { limitJsonDepth } from "./platform/http/middleware/json-depth.ts";
import { retryAfterOn503 } from "./platform/http/middleware/retry-after.ts";
import { securitySchemes } from "./platform/http/openapi.ts";
import type { Logger } from "./platform/telemetry/logger.ts";
import type { Metrics } from "./platform/telemetry/metrics.ts";
import { metricsRoutes } from "./platform/telemetry/metrics-route.ts";
import { tenantRoutes } from "./tenants/routes.ts";
import type { TenantService } from "./tenants/service.ts";
import { userRoutes } from "./users/routes.ts";
import { tenantScoped } from "./users/scope.ts";
import type { UserService } from "./users/service.ts";
import type { Sessions } from "./users/sessions.ts";

/** What the HTTP surface is composed from (built by service.ts). */
export interface AppServices {
  config: Config;
  platform: {
    cache: Cache;
    metrics: Metrics;
    logger: Logger;
    health: HealthChecks;
    lifecycle: Lifecycle;
    faults: FaultInjector;
    /** The peer address of a request's connection (differs per runtime). */
    clientAddress: (c: Context) => string | undefined;
  };
  sessions: Sessions;
  tenants: TenantService;
  users: UserService;
  courses: CourseService;
  content: ContentService;
  activities: ActivityService;
  operations: OperationsService;
  /**
   * ActivityPub federation and its HTTP surface, from federation/feature.ts (loaded only when
   * FEDERATION_ENABLED=true); undefined otherwise.
   */
  federation:
    | {
        service: FederationService;
        routes: Pick<typeof FederationFeature, "activityPubRoutes" | "federationRoutes">;
      }
    | undefined;
}

/**
 * The HTTP surface: probes and /metrics first (untraced: tracing them would flood the backends and cost
 * throughput for no insight), then the traced, measured API under /api/v1 with its OpenAPI document,
 * and the ActivityPub paths handed to Fedify.
 */
export function createApp(services: AppServices) {
  const { config, platform } = services;
  const app = new OpenAPIHono<PlatformEnv>();
  app.use("*", retryAfterOn503());
  app.route("/", healthRoutes(platform.health, platform.lifecycle));
  if (config.metrics.enabled) app.route("/", metricsRoutes(platform.metrics));

  observeRequests(app, platform.metrics, platform.logger);
  // Every JSON body: size first (nothing is read beyond it), then nesting depth (before anything parses).
  // Alertmanager's webhook has a limit of its own, answered with a status Alertmanager retries.
  const alertWebhook = `${API_PREFIX}${ALERT_WEBHOOK_PATH}`;
  const apiBodyLimit = limitBody(config.bodyLimitBytes);
  // One path compared, not hono/combine's except(): that matched a router and ran three async layers and
  // a chain composed anew on every request, ~3 % of a GET's CPU (docs/performance.md, phase 3).
  app.use(`${API_PREFIX}/*`, (c, next) => (c.req.path === alertWebhook ? next() : apiBodyLimit(c, next)));
  app.use(alertWebhook, limitBody(config.alertWebhookBodyLimitBytes, { onExceeded: alertBatchTooLarge }));
  app.use(`${API_PREFIX}/*`, limitJsonDepth(config.jsonMaxDepth));

  const { federation } = services;
  if (federation) {
    app.route(
      "/",
      federation.routes.activityPubRoutes(federation.service, platform.metrics, {
        inboxBodyLimitBytes: config.federation.inboxBodyLimitBytes,
        jsonMaxDepth: config.jsonMaxDepth,
      }),
    );
  }

  const scoped = tenantScoped({
    faults: platform.faults.middleware,
    tenants: services.tenants,
    cache: platform.cache,
    rateLimit: config.rateLimit,
    clientAddress: platform.clientAddress,
    sessions: services.sessions,
  });
  const { adminToken } = config;
  const api = new OpenAPIHono<PlatformEnv>();
  api.route("/", tenantRoutes({ tenants: services.tenants, adminToken, scoped }));
  api.route("/", userRoutes({ users: services.users, scoped }));
  api.route("/", courseRoutes({ courses: services.courses, scoped }));
  api.route("/", contentRoutes({ content: services.content, scoped }));
  api.route("/", activityRoutes({ activities: services.activities, scoped }));
  api.route(
    "/",
    operationsRoutes({
      operations: services.operations,
      adminToken,
      alertWebhookToken: config.alertWebhookToken,
    }),
  );
  if (federation)
    api.route(
      "/",
      federation.routes.federationRoutes({ federation: federation.service, scoped, adminToken }),
    );
  for (const [name, scheme] of Object.entries(securitySchemes)) {
    api.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    // Relative to the document's own URL (OpenAPI 3.1 §4.8.5), so generated clients and fuzzers call
    // the routes under /api/v1 on whatever origin served the document.
    servers: [{ url: API_PREFIX }],
    info: {
      title: "FediFlow API",
      version: config.service.version,
      description:
        "Multi-tenant federated e-learning. Tenant-scoped routes need X-Tenant-Id (tenant slug or id).",
    },
  });
  app.route(API_PREFIX, api);
  // Where a newcomer starts: the service's links at /, the interactive reference at /api/v1/docs.
  app.route(
    "/",
    homeRoutes({
      name: config.service.name,
      title: "FediFlow API",
      version: config.service.version,
      links: {
        api_reference: `${API_PREFIX}/docs`,
        openapi: `${API_PREFIX}/openapi.json`,
        health: "/health",
        ...(config.metrics.enabled ? { metrics: "/metrics" } : {}),
      },
    }),
  );
  app.route("/", apiReferenceRoutes(API_PREFIX, "FediFlow API reference"));
  answerUnmatched(app);
  return app;
}

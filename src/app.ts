import { OpenAPIHono } from "@hono/zod-openapi";
import { activityRoutes } from "./activities/routes.ts";
import { contentRoutes } from "./content/routes.ts";
import { courseRoutes } from "./courses/routes.ts";
import { activityPubRoutes } from "./federation/activitypub.ts";
import { federationRoutes } from "./federation/routes.ts";
import { operationsRoutes } from "./operations/routes.ts";
import { healthRoutes } from "./platform/health/routes.ts";
import { API_PREFIX, answerUnmatched, observeRequests } from "./platform/http/app.ts";
import type { PlatformEnv } from "./platform/http/context.ts";
import { limitBody } from "./platform/http/middleware/body-limit.ts";
import { metricsRoutes } from "./platform/telemetry/metrics-route.ts";
import type { Services } from "./service.ts";
import { tenantRoutes } from "./tenants/routes.ts";
import { userRoutes } from "./users/routes.ts";
import { tenantScoped } from "./users/scope.ts";

/**
 * The HTTP surface: probes and /metrics first (untraced: tracing them would flood the backends and cost
 * throughput for no insight), then the traced, measured API under /api/v1 with its OpenAPI document,
 * and the ActivityPub paths handed to Fedify.
 */
export function createApp(services: Services) {
  const { config, platform } = services;
  const app = new OpenAPIHono<PlatformEnv>();
  app.route("/", healthRoutes(platform.health, platform.lifecycle));
  if (config.metrics.enabled) app.route("/", metricsRoutes(platform.metrics));

  observeRequests(app, platform.metrics, platform.logger);
  app.use(`${API_PREFIX}/*`, limitBody(config.bodyLimitBytes));

  const { federation } = services;
  if (federation) {
    app.route("/", activityPubRoutes(federation, platform.metrics, config.federation.inboxBodyLimitBytes));
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
  if (federation) api.route("/", federationRoutes({ federation, scoped, adminToken }));
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "FediFlow API",
      version: config.service.version,
      description:
        "Multi-tenant federated e-learning. Tenant-scoped routes need X-Tenant-Id (tenant slug or id).",
    },
  });
  app.route(API_PREFIX, api);
  answerUnmatched(app);
  return app;
}

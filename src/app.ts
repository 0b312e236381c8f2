import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { PatternRouter } from "hono/router/pattern-router";
import { activityRoutes } from "./activities/routes.ts";
import { contentRoutes } from "./content/routes.ts";
import { enrollmentRoutes } from "./courses/enrollment-routes.ts";
import { courseRoutes } from "./courses/routes.ts";
import { activityPubRoutes } from "./federation/activitypub.ts";
import { federationRoutes } from "./federation/routes.ts";
import { alertRoutes } from "./operations/alert-routes.ts";
import { faultRoutes, opsRoutes } from "./operations/routes.ts";
import { healthRoutes } from "./platform/health/routes.ts";
import type { AppDeps, AppEnv } from "./platform/http/context.ts";
import { ApiError } from "./platform/http/errors.ts";
import { errorBody, handleError } from "./platform/http/errors-handler.ts";
import { telemetry } from "./platform/http/middleware/telemetry.ts";
import { tenantRoutes } from "./tenants/routes.ts";
import { userRoutes } from "./users/routes.ts";
import { sessionRoutes } from "./users/session-routes.ts";

export const API_PREFIX = "/api/v1";

/** Composes the service: probes and /metrics first (untraced), then the traced, measured API. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  // Probes and the scrape endpoint answer before the telemetry middleware: tracing them would flood
  // the backends and cost throughput for no insight.
  app.route("/", healthRoutes(deps));

  app.use("*", telemetry(deps.metrics, deps.logger));
  app.use(
    `${API_PREFIX}/*`,
    bodyLimit({
      maxSize: deps.config.bodyLimitBytes,
      onError: () => {
        throw new ApiError(
          413,
          "payload_too_large",
          `Request body exceeds ${deps.config.bodyLimitBytes} bytes`,
        );
      },
    }),
  );

  // ActivityPub (WebFinger, NodeInfo, actors, inboxes): only these paths are handed to Fedify.
  const federation = deps.federation;
  if (federation) {
    app.route("/", activityPubRoutes(federation, deps.metrics, deps.config.federation.inboxBodyLimitBytes));
  }

  const api = new OpenAPIHono<AppEnv>();
  for (const routes of [
    tenantRoutes,
    sessionRoutes,
    userRoutes,
    courseRoutes,
    enrollmentRoutes,
    contentRoutes,
    activityRoutes,
    opsRoutes,
    faultRoutes,
    alertRoutes,
  ]) {
    api.route("/", routes(deps));
  }
  if (federation) api.route("/", federationRoutes(deps, federation));
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "FediFlow API",
      version: deps.config.service.version,
      description:
        "Multi-tenant federated e-learning. Tenant-scoped routes need X-Tenant-Id (tenant slug or id).",
    },
  });
  app.route(API_PREFIX, api);

  const allowedMethods = methodIndex(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return c.json(
        errorBody(c, "method_not_allowed", `${c.req.method} is not allowed here; use ${allowed.join(", ")}`),
        405,
      );
    }
    return c.json(errorBody(c, "not_found", `No route for ${c.req.method} ${c.req.path}`), 404);
  });
  app.onError(handleError);
  return app;
}

/** Which methods a path has routes for, so a wrong method gets 405 with Allow instead of 404. */
function methodIndex(routes: readonly { method: string; path: string }[]) {
  const router = new PatternRouter<string>();
  for (const { method, path } of routes) if (method !== "ALL") router.add("ALL", path, method);
  return (path: string): string[] => [...new Set(router.match("ALL", path)[0].map(([method]) => method))];
}

import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { PatternRouter } from "hono/router/pattern-router";
import { healthRoutes } from "../health/routes.ts";
import type { AppDeps, AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";
import { errorBody, handleError } from "./errors-handler.ts";
import { telemetry } from "./middleware/telemetry.ts";
import { activityRoutes } from "./routes/activities.ts";
import { activityPubRoutes } from "./routes/activitypub.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { contentRoutes } from "./routes/content.ts";
import { courseRoutes } from "./routes/courses.ts";
import { enrollmentRoutes } from "./routes/enrollments.ts";
import { federationRoutes } from "./routes/federation.ts";
import { faultRoutes, opsRoutes } from "./routes/ops.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { userRoutes } from "./routes/users.ts";

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

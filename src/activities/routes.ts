import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "../platform/http/context.ts";
import { bearerSecurity, commonErrors, jsonResponse, timestamp } from "../platform/http/openapi.ts";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { serializeTenant, TenantSchema } from "../tenants/routes.ts";
import { requireSession } from "../users/auth.ts";
import { tenantScoped } from "../users/scope.ts";
import { type Activity, listActivities } from "./store.ts";

const ActivitySchema = z
  .object({
    id: z.uuid(),
    actor_id: z.uuid(),
    type: z.string(),
    object_type: z.string(),
    object_id: z.uuid(),
    summary: z.record(z.string(), z.unknown()),
    created_at: timestamp,
  })
  .openapi("Activity");

const serializeActivity = (a: Activity) => ({
  id: a.id,
  actor_id: a.actor_id,
  type: a.type,
  object_type: a.object_type,
  object_id: a.object_id,
  summary: a.summary,
  created_at: a.created_at,
});

/** The tenant's activity log, and the tenant's own public description. */
export function activityRoutes(deps: AppDeps) {
  const app = createRouter();
  const middleware = tenantScoped(deps);

  app.openapi(
    createRoute({
      method: "get",
      path: "/activities",
      summary: "The tenant's activity log (every create, enrol and publish)",
      security: bearerSecurity,
      middleware,
      request: { query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(ActivitySchema), "A page of activities"), ...commonErrors },
    }),
    async (c) => {
      requireSession(c);
      const { limit, cursor } = c.req.valid("query");
      const page = toPage(
        await listActivities(deps.db.sql, c.var.tenant.id, decodeCursor(cursor), limit),
        limit,
        serializeActivity,
      );
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenant",
      summary: "The tenant named by X-Tenant-Id (or the Host)",
      middleware,
      responses: { 200: jsonResponse(TenantSchema, "The tenant"), ...commonErrors },
    }),
    (c) => c.json(serializeTenant(c.var.tenant), 200),
  );
  return app;
}

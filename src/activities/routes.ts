import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bearerSecurity, commonErrors, jsonResponse, timestamp } from "../platform/http/openapi.ts";
import { pageQuery, pageRequest, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { callerOf, type ScopedEnv } from "../users/auth.ts";
import type { Activity, ActivityService } from "./service.ts";

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

/** The tenant's activity log. */
export function activityRoutes(deps: { activities: ActivityService; scoped: MiddlewareHandler[] }) {
  const app = createRouter<ScopedEnv>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/activities",
      summary: "The tenant's activity log (every create, enrol and publish)",
      security: bearerSecurity,
      middleware: deps.scoped,
      request: { query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(ActivitySchema), "A page of activities"), ...commonErrors },
    }),
    async (c) => {
      const slice = await deps.activities.list(callerOf(c), pageRequest(c.req.valid("query")));
      return c.json(toPage(slice, serializeActivity), 200);
    },
  );
  return app;
}

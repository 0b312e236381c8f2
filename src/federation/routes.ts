import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requireAdminToken } from "../platform/http/bearer.ts";
import {
  bearerSecurity,
  bodyErrors,
  commonErrors,
  errorResponse,
  IdParams,
  jsonBody,
  jsonResponse,
} from "../platform/http/openapi.ts";
import { pageQuery, pageRequest, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { callerOf, type ScopedEnv } from "../users/auth.ts";
import {
  FollowingSchema,
  InstancesSchema,
  NewFollowing,
  RemoteActorSchema,
  serializeFollower,
  serializeFollowing,
  serializeInstances,
  serializeItem,
  TimelineItemSchema,
} from "./schemas.ts";
import type { FederationService } from "./service.ts";

/** Federation as seen through the API: remote follows, the federated timeline, remote members, instances. */
export function federationRoutes(deps: {
  federation: FederationService;
  scoped: MiddlewareHandler[];
  adminToken: string | undefined;
}) {
  const app = createRouter<ScopedEnv>();
  const { following } = deps.federation;
  const middleware = deps.scoped;

  app.openapi(
    createRoute({
      method: "post",
      path: "/federation/following",
      summary:
        "Follow (or enrol in, with relation=member) a remote actor: a course or user of another instance",
      security: bearerSecurity,
      middleware,
      request: jsonBody(NewFollowing),
      responses: {
        202: jsonResponse(FollowingSchema, "Follow sent; state becomes accepted when the remote accepts"),
        200: jsonResponse(FollowingSchema, "Already following"),
        ...commonErrors,
        ...bodyErrors,
        404: errorResponse("`actor_not_found`: no ActivityPub actor answers at that address"),
        422: errorResponse(
          "The body failed validation (`fields` lists each problem), or `local_actor`: the actor is on this instance",
        ),
      },
    }),
    async (c) => {
      const result = await following.follow(callerOf(c), c.req.valid("json"), c.req.raw);
      return c.json(serializeFollowing(result.following), result.created ? 202 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/federation/following/{id}",
      summary: "Stop following (Undo) a remote actor",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams },
      responses: { 204: { description: "Undone" }, ...commonErrors },
    }),
    async (c) => {
      await following.unfollow(callerOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/federation/following",
      summary: "Remote actors the signed-in user follows (admins: the whole tenant)",
      security: bearerSecurity,
      middleware,
      request: { query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(FollowingSchema), "A page of follows"), ...commonErrors },
    }),
    async (c) => {
      const slice = await following.list(callerOf(c), pageRequest(c.req.valid("query")));
      return c.json(toPage(slice, serializeFollowing), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/federation/timeline",
      summary: "The tenant's federated timeline: content received from followed remote courses and users",
      security: bearerSecurity,
      middleware,
      request: { query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(TimelineItemSchema), "A page of items"), ...commonErrors },
    }),
    async (c) => {
      const slice = await following.timeline(callerOf(c), pageRequest(c.req.valid("query")));
      return c.json(toPage(slice, serializeItem), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/federation/actors/{id}/followers",
      summary: "Remote followers and members of a local course or user (staff, or the user themself)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, query: pageQuery },
      responses: {
        200: jsonResponse(pageSchema(RemoteActorSchema), "A page of remote actors"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const page = pageRequest(c.req.valid("query"));
      const slice = await following.followersOf(callerOf(c), c.req.valid("param").id, page);
      return c.json(toPage(slice, serializeFollower), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/federation/instances",
      summary: "Remote instances with their delivery health (circuit, failures, next attempt)",
      security: bearerSecurity,
      middleware: [requireAdminToken(deps.adminToken)],
      responses: { 200: jsonResponse(InstancesSchema, "Instances"), ...commonErrors },
    }),
    async (c) => c.json(serializeInstances(await deps.federation.instancesReport()), 200),
  );
  return app;
}

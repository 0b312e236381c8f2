import { isActor } from "@fedify/vocab";
import { createRoute, z } from "@hono/zod-openapi";
import { transaction } from "../platform/db/client.ts";
import type { AppDeps } from "../platform/http/context.ts";
import { ApiError, badRequest, forbidden, notFound } from "../platform/http/errors.ts";
import {
  bearerSecurity,
  commonErrors,
  IdParams,
  jsonBody,
  jsonResponse,
  timestamp,
} from "../platform/http/openapi.ts";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { uuidv7 } from "../platform/ids.ts";
import { requireAdminToken, requireSession } from "../users/auth.ts";
import { tenantScoped } from "../users/scope.ts";
import { activityUri } from "./publisher.ts";
import type { FederationService } from "./service.ts";
import {
  type Follower,
  type Following,
  findFollowing,
  findLocalActor,
  type InboxItem,
  insertFollowing,
  listFollowers,
  listFollowing,
  listInbox,
} from "./store.ts";

/** Timestamps arrive as ISO strings from the database client (Dates tolerated). */
const iso = (value: string | Date) => (value instanceof Date ? value.toISOString() : value);
const when = (value: string | Date | null) => (value === null ? null : iso(value));

const FollowingSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid(),
    actor: z.string(),
    name: z.string().nullable(),
    relation: z.enum(["follow", "member"]),
    state: z.enum(["pending", "accepted", "rejected", "undone"]),
    created_at: timestamp,
    accepted_at: timestamp.nullable(),
  })
  .openapi("RemoteFollowing");
const serializeFollowing = (f: Following) => ({
  id: f.id,
  user_id: f.user_id,
  actor: f.actor_uri,
  name: f.name,
  relation: f.relation,
  state: f.state,
  created_at: iso(f.created_at),
  accepted_at: when(f.accepted_at),
});

const RemoteActorSchema = z
  .object({ id: z.uuid(), actor: z.string(), host: z.string(), relation: z.string(), created_at: timestamp })
  .openapi("RemoteActor");
const serializeFollower = (f: Follower) => ({
  id: f.id,
  actor: f.actor_uri,
  host: f.host,
  relation: f.relation,
  created_at: iso(f.created_at),
});

const TimelineItemSchema = z
  .object({
    id: z.uuid(),
    activity: z.string(),
    type: z.string(),
    actor: z.string(),
    object: z.string().nullable(),
    object_type: z.string().nullable(),
    instance: z.string(),
    content: z.record(z.string(), z.unknown()),
    received_at: timestamp,
    updated_at: timestamp.nullable(),
  })
  .openapi("FederatedTimelineItem");
const serializeItem = (i: InboxItem) => ({
  id: i.id,
  activity: i.activity_uri,
  type: i.activity_type,
  actor: i.actor_uri,
  object: i.object_uri,
  object_type: i.object_type,
  instance: i.host,
  content: i.content,
  received_at: iso(i.received_at),
  updated_at: when(i.updated_at),
});

const InstanceSchema = z
  .object({
    host: z.string(),
    circuit: z.enum(["closed", "open"]),
    healthy: z.boolean(),
    consecutive_failures: z.number().int(),
    last_success_at: timestamp.nullable(),
    last_failure_at: timestamp.nullable(),
    next_attempt_at: timestamp.nullable(),
    opened_at: timestamp.nullable(),
    open_count: z.number().int(),
    last_error: z.string().nullable(),
    delivered_total: z.number().int(),
    failed_total: z.number().int(),
  })
  .openapi("RemoteInstance");

const NewFollowing = z.object({
  actor: z
    .string()
    .min(3)
    .max(2048)
    .openapi({ description: "Actor URL or acct: handle of the remote user or course" }),
  relation: z.enum(["follow", "member"]).default("follow").openapi({ description: "`member` enrols (Join)" }),
});

/** Federation as seen through the API: remote follows, the federated timeline, remote members, instances. */
export function federationRoutes(deps: AppDeps, federation: FederationService) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = tenantScoped(deps);

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
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const input = c.req.valid("json");
      const ctx = federation.federation.createContext(c.req.raw, undefined);
      let remote: Awaited<ReturnType<typeof ctx.lookupObject>>;
      try {
        remote = await ctx.lookupObject(input.actor.trim());
      } catch {
        remote = null;
      }
      if (!remote || !isActor(remote) || !remote.id || !remote.inboxId) {
        throw new ApiError(422, "actor_not_found", "No ActivityPub actor found at that address");
      }
      if (ctx.parseUri(remote.id)?.type === "actor") throw badRequest("That actor is on this instance");
      const actor = remote;
      const tenantId = c.var.tenant.id;
      const result = await transaction(sql, async (tx) => {
        const outcome = await insertFollowing(tx, {
          id: uuidv7(),
          tenant_id: tenantId,
          user_id: session.userId,
          actor_uri: actor.id?.href as string,
          inbox_uri: actor.inboxId?.href as string,
          shared_inbox_uri: actor.endpoints?.sharedInbox?.href ?? null,
          relation: input.relation,
          activity_uri: "pending",
          name: actor.name?.toString() ?? actor.preferredUsername?.toString() ?? null,
        });
        if (!outcome.created && outcome.following.state !== "undone") return outcome;
        if (!outcome.created) {
          await tx`update federation_following set state = 'pending', accepted_at = null where id = ${outcome.following.id}`;
        }
        const activity = await deps.activities.record(tx, {
          tenant_id: tenantId,
          actor_id: session.userId,
          type: input.relation === "member" ? "Join" : "Follow",
          object_type: actor.constructor.name === "Group" ? "Group" : "Person",
          object_id: outcome.following.id,
          summary: { remote: true, actor: actor.id?.href },
        });
        const uri = activityUri(federation.origin(), activity.id).href;
        await tx`update federation_following set activity_uri = ${uri} where id = ${outcome.following.id}`;
        return {
          created: true,
          following: { ...outcome.following, state: "pending" as const, activity_uri: uri },
        };
      });
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
      const session = requireSession(c);
      const following = await findFollowing(sql, c.req.valid("param").id);
      if (!following || following.tenant_id !== c.var.tenant.id) throw notFound("Following");
      if (following.user_id !== session.userId && session.role !== "admin")
        throw forbidden("Not your follow");
      await transaction(sql, async (tx) => {
        await tx`update federation_following set state = 'undone' where id = ${following.id}`;
        await deps.activities.record(tx, {
          tenant_id: following.tenant_id,
          actor_id: following.user_id,
          type: "Undo",
          object_type: following.relation === "member" ? "Join" : "Follow",
          object_id: following.id,
          summary: { remote: true, actor: following.actor_uri },
        });
      });
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
      const session = requireSession(c);
      const { limit, cursor } = c.req.valid("query");
      const rows = await listFollowing(
        sql,
        c.var.tenant.id,
        session.role === "admin" ? {} : { userId: session.userId },
        decodeCursor(cursor),
        limit,
      );
      const page = toPage(rows, limit, serializeFollowing);
      return c.json(page, 200);
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
      requireSession(c);
      const { limit, cursor } = c.req.valid("query");
      const page = toPage(
        await listInbox(sql, c.var.tenant.id, decodeCursor(cursor), limit),
        limit,
        serializeItem,
      );
      return c.json(page, 200);
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
      const session = requireSession(c);
      const { id } = c.req.valid("param");
      const actor = await findLocalActor(sql, id);
      if (!actor || actor.tenantId !== c.var.tenant.id) throw notFound("Actor");
      if (session.role === "student" && id !== session.userId) throw forbidden("Staff only");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listFollowers(sql, [id], decodeCursor(cursor), limit + 1);
      const page = toPage(rows, limit, serializeFollower);
      return c.json(page, 200);
    },
  );

  const admin = [requireAdminToken(deps.config.adminToken)];
  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/federation/instances",
      summary: "Remote instances with their delivery health (circuit, failures, next attempt)",
      security: bearerSecurity,
      middleware: admin,
      responses: {
        200: jsonResponse(
          z.object({
            items: z.array(InstanceSchema),
            queue: z.object({
              depth: z.number(),
              oldest_due_age_seconds: z.number(),
              dead_letters: z.number(),
            }),
          }),
          "Instances",
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const [rows, stats] = await Promise.all([federation.instances.list(), federation.queue.stats()]);
      return c.json(
        {
          items: rows.map((r) => ({
            host: r.host,
            circuit: r.circuit,
            healthy: r.circuit === "closed",
            consecutive_failures: r.consecutive_failures,
            last_success_at: when(r.last_success_at),
            last_failure_at: when(r.last_failure_at),
            next_attempt_at: when(r.next_attempt_at),
            opened_at: when(r.opened_at),
            open_count: r.open_count,
            last_error: r.last_error,
            delivered_total: Number(r.delivered_total),
            failed_total: Number(r.failed_total),
          })),
          queue: {
            depth: stats.depth,
            oldest_due_age_seconds: stats.oldestDueAgeSeconds,
            dead_letters: stats.dead,
          },
        },
        200,
      );
    },
  );
  return app;
}

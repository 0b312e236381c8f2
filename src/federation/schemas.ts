import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import type { Follower, Following, InboxItem } from "./following.ts";
import type { InstanceRecord } from "./instances.ts";

/** Timestamps arrive as ISO strings from the database client (Dates tolerated). */
const iso = (value: string | Date) => (value instanceof Date ? value.toISOString() : value);
const when = (value: string | Date | null) => (value === null ? null : iso(value));

export const FollowingSchema = z
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
export const serializeFollowing = (f: Following) => ({
  id: f.id,
  user_id: f.user_id,
  actor: f.actor_uri,
  name: f.name,
  relation: f.relation,
  state: f.state,
  created_at: iso(f.created_at),
  accepted_at: when(f.accepted_at),
});

export const RemoteActorSchema = z
  .object({ id: z.uuid(), actor: z.string(), host: z.string(), relation: z.string(), created_at: timestamp })
  .openapi("RemoteActor");
export const serializeFollower = (f: Follower) => ({
  id: f.id,
  actor: f.actor_uri,
  host: f.host,
  relation: f.relation,
  created_at: iso(f.created_at),
});

export const TimelineItemSchema = z
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
export const serializeItem = (i: InboxItem) => ({
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

export const InstancesSchema = z.object({
  items: z.array(InstanceSchema),
  queue: z.object({
    depth: z.number(),
    oldest_due_age_seconds: z.number(),
    dead_letters: z.number(),
  }),
});

export const serializeInstances = (report: {
  items: InstanceRecord[];
  queue: { depth: number; oldestDueAgeSeconds: number; dead: number };
}) => ({
  items: report.items.map((r) => ({
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
    depth: report.queue.depth,
    oldest_due_age_seconds: report.queue.oldestDueAgeSeconds,
    dead_letters: report.queue.dead,
  },
});

/**
 * What Fedify's `lookupObject` can resolve: an http(s) URL of the actor, or a fediverse handle
 * (`acct:user@host`, `@user@host`, `user@host`; the user part as in @fedify/vocab's handle rule).
 * No white space or control characters (they never occur in either).
 */
const ACTOR_PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  /^(?:https?:\/\/[^\u0000-\u0020\u007f]+|(?:acct:|@)?[-A-Za-z0-9._~!$&'()*+,;=%]+@[^@\u0000-\u0020\u007f]+)$/;

export const NewFollowing = z.object({
  actor: z
    .string()
    .min(3)
    .max(2048)
    .regex(ACTOR_PATTERN, "must be an http(s) URL or a handle such as acct:user@host or @user@host")
    .openapi({
      description: "Actor URL or handle (acct:user@host, @user@host) of the remote user or course",
    }),
  relation: z.enum(["follow", "member"]).default("follow").openapi({ description: "`member` enrols (Join)" }),
});

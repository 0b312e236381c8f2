import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";
import { replaceUnstorable, replaceUnstorableDeep } from "../platform/db/text.ts";
import { uuidv7 } from "../platform/ids.ts";

/**
 * The federation tables: remote followers of local actors, local users' remote follows, the inbox.
 * What other servers sent (an actor's name, a received object) is a machine feed: stored by the rule of
 * platform/db/text.ts, U+0000 and unpaired surrogates replaced by U+FFFD (text and jsonb refuse them).
 */

export interface Follower {
  id: string;
  actor_uri: string;
  inbox_uri: string;
  shared_inbox_uri: string | null;
  host: string;
  relation: "follow" | "member";
  created_at: string | Date;
}

export async function addFollower(
  sql: Sql,
  follower: {
    tenantId: string;
    localActorId: string;
    actorUri: string;
    inboxUri: string;
    sharedInboxUri: string | null;
    relation: "follow" | "member";
    activityUri: string | null;
  },
): Promise<void> {
  await sql`
    insert into federation_followers
      (id, tenant_id, local_actor_id, actor_uri, inbox_uri, shared_inbox_uri, host, relation, activity_uri)
    values (${uuidv7()}, ${follower.tenantId}, ${follower.localActorId}, ${follower.actorUri}, ${follower.inboxUri},
            ${follower.sharedInboxUri}, ${new URL(follower.actorUri).host}, ${follower.relation}, ${follower.activityUri})
    on conflict (local_actor_id, actor_uri, relation) do update set
      inbox_uri = excluded.inbox_uri, shared_inbox_uri = excluded.shared_inbox_uri,
      activity_uri = excluded.activity_uri`;
}

export async function removeFollower(
  sql: Sql,
  localActorId: string,
  actorUri: string,
  relation?: "follow" | "member",
): Promise<number> {
  const rows = await sql`
    delete from federation_followers
    where local_actor_id = ${localActorId} and actor_uri = ${actorUri}
      ${relation ? sql`and relation = ${relation}` : sql``}
    returning 1`;
  return rows.length;
}

/** Stops delivering to a remote actor: it follows no local actor any more (its inbox answered 404/410). */
export async function dropFollower(sql: Sql, actorUri: string): Promise<void> {
  await sql`delete from federation_followers where actor_uri = ${actorUri}`;
}

/**
 * Forgets a remote actor that was deleted (its own `Delete{object: itself}`, or Mastodon's self-Delete
 * once it answers 410): it follows no local actor, local users' follows of it are removed, and what it
 * sent leaves the timelines (marked deleted, as a Delete of each object would), as Mastodon removes a
 * deleted account's statuses. Returns how many rows changed.
 */
export async function forgetDeletedActor(sql: Sql, actorUri: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    with followers as (delete from federation_followers where actor_uri = ${actorUri} returning 1),
         follows as (delete from federation_following where actor_uri = ${actorUri} returning 1),
         items as (update federation_inbox set deleted_at = now()
                   where actor_uri = ${actorUri} and deleted_at is null returning 1)
    select (select count(*) from followers) + (select count(*) from follows)
         + (select count(*) from items) as n`;
  return Number(row?.n ?? 0);
}

/** True when `actorUri` follows (or is a member of) one of the local actors. */
export async function isFollowerOf(sql: Sql, localActorIds: string[], actorUri: string): Promise<boolean> {
  const rows = await sql`
    select 1 from federation_followers
    where local_actor_id = any(${localActorIds}::uuid[]) and actor_uri = ${actorUri} limit 1`;
  return rows.length > 0;
}

/** The followers and members of local actors, in id order. */
export function listFollowers(
  sql: Sql,
  localActorIds: string[],
  page: PageRequest,
): Promise<Slice<Follower>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<Follower[]>`
      select distinct on (id) id, actor_uri, inbox_uri, shared_inbox_uri, host, relation, created_at
      from federation_followers
      where local_actor_id = any(${localActorIds}::uuid[]) ${k.after} ${k.page}`,
  );
}

export async function countFollowers(
  sql: Sql,
  localActorIds: string[],
): Promise<{ recipients: number; instances: number }> {
  const [row] = await sql<{ recipients: number; instances: number }[]>`
    select count(distinct actor_uri)::int as recipients, count(distinct host)::int as instances
    from federation_followers where local_actor_id = any(${localActorIds}::uuid[])`;
  return row ?? { recipients: 0, instances: 0 };
}

export interface Following {
  id: string;
  tenant_id: string;
  user_id: string;
  actor_uri: string;
  inbox_uri: string;
  shared_inbox_uri: string | null;
  host: string;
  relation: "follow" | "member";
  state: "pending" | "accepted" | "rejected" | "undone";
  activity_uri: string;
  name: string | null;
  created_at: string | Date;
  accepted_at: string | Date | null;
}

const followingColumns = `id, tenant_id, user_id, actor_uri, inbox_uri, shared_inbox_uri, host, relation, state,
  activity_uri, name, created_at, accepted_at`;

export async function insertFollowing(
  sql: Sql,
  row: Omit<Following, "created_at" | "accepted_at" | "state" | "host">,
): Promise<{ following: Following; created: boolean }> {
  const [inserted] = await sql<Following[]>`
    insert into federation_following
      (id, tenant_id, user_id, actor_uri, inbox_uri, shared_inbox_uri, host, relation, activity_uri, name)
    values (${row.id}, ${row.tenant_id}, ${row.user_id}, ${row.actor_uri}, ${row.inbox_uri}, ${row.shared_inbox_uri},
            ${new URL(row.actor_uri).host}, ${row.relation}, ${row.activity_uri},
            ${row.name === null ? null : replaceUnstorable(row.name)})
    on conflict (user_id, actor_uri, relation) do nothing
    returning ${sql.unsafe(followingColumns)}`;
  if (inserted) return { following: inserted, created: true };
  const [existing] = await sql<Following[]>`
    select ${sql.unsafe(followingColumns)} from federation_following
    where user_id = ${row.user_id} and actor_uri = ${row.actor_uri} and relation = ${row.relation}`;
  return { following: existing as Following, created: false };
}

export async function findFollowing(sql: Sql, id: string): Promise<Following | undefined> {
  const [row] = await sql<Following[]>`
    select ${sql.unsafe(followingColumns)} from federation_following where id = ${id}`;
  return row;
}

/** Marks the follow whose Follow activity is `activityUri` (or, if unknown, the actor's pending follows) accepted. */
export async function acceptFollowing(
  sql: Sql,
  actorUri: string,
  activityUri: string | null,
): Promise<number> {
  const rows = await sql`
    update federation_following set state = 'accepted', accepted_at = now()
    where actor_uri = ${actorUri} and state = 'pending'
      and (${activityUri}::text is null or activity_uri = ${activityUri})
    returning 1`;
  return rows.length;
}

/** A follow whose activity is being (re)sent: pending again, with the URI of its Follow/Join activity. */
export async function markFollowingPending(sql: Sql, id: string, activityUri: string): Promise<void> {
  await sql`
    update federation_following set state = 'pending', accepted_at = null, activity_uri = ${activityUri}
    where id = ${id}`;
}

export async function markFollowingUndone(sql: Sql, id: string): Promise<void> {
  await sql`update federation_following set state = 'undone' where id = ${id}`;
}

export function listFollowing(
  sql: Sql,
  tenantId: string,
  filter: { userId?: string; state?: Following["state"] },
  page: PageRequest,
): Promise<Slice<Following>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<Following[]>`
      select ${sql.unsafe(followingColumns)} from federation_following
      where tenant_id = ${tenantId} ${filter.userId ? sql`and user_id = ${filter.userId}` : sql``}
        ${filter.state ? sql`and state = ${filter.state}` : sql``}
        ${k.after} ${k.page}`,
  );
}

/** How many remote actors a local user follows (accepted follows: its `following` collection). */
export async function countAcceptedFollowing(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from federation_following where user_id = ${userId} and state = 'accepted'`;
  return row?.n ?? 0;
}

/** Tenants with a user following `actorUri`: where content from that actor lands. */
export async function tenantsFollowing(sql: Sql, actorUri: string): Promise<string[]> {
  const rows = await sql<{ tenant_id: string }[]>`
    select distinct tenant_id from federation_following where actor_uri = ${actorUri} and state <> 'undone'`;
  return rows.map((r) => r.tenant_id);
}

export interface InboxItem {
  id: string;
  tenant_id: string;
  activity_uri: string;
  activity_type: string;
  actor_uri: string;
  object_uri: string | null;
  object_type: string | null;
  host: string;
  content: Record<string, unknown>;
  received_at: string | Date;
  updated_at: string | Date | null;
  deleted_at: string | Date | null;
}

const inboxColumns = `id, tenant_id, activity_uri, activity_type, actor_uri, object_uri, object_type, host, content,
  received_at, updated_at, deleted_at`;

/** Stores a received activity once per tenant; false when it was already there (a redelivery). */
export async function storeInboxItem(
  sql: Sql,
  received: Omit<InboxItem, "id" | "received_at" | "updated_at" | "deleted_at">,
): Promise<boolean> {
  const item = replaceUnstorableDeep(received);
  const rows = await sql`
    insert into federation_inbox
      (id, tenant_id, activity_uri, activity_type, actor_uri, object_uri, object_type, host, content)
    values (${uuidv7()}, ${item.tenant_id}, ${item.activity_uri}, ${item.activity_type}, ${item.actor_uri},
            ${item.object_uri}, ${item.object_type}, ${item.host}, ${sql.json(item.content as never)})
    on conflict (tenant_id, activity_uri) do nothing
    returning 1`;
  return rows.length === 1;
}

/** Applies an Update/Delete of a remote object to the stored copies (only the object's own actor may). */
export async function changeInboxObject(
  sql: Sql,
  objectUri: string,
  actorUri: string,
  change: { content: Record<string, unknown> } | { deleted: true },
): Promise<number> {
  const rows =
    "deleted" in change
      ? await sql`update federation_inbox set deleted_at = now()
                  where object_uri = ${objectUri} and actor_uri = ${actorUri} and deleted_at is null returning 1`
      : await sql`update federation_inbox set content = content || ${sql.json(replaceUnstorableDeep(change.content) as never)}::jsonb, updated_at = now()
                  where object_uri = ${objectUri} and actor_uri = ${actorUri} returning 1`;
  return rows.length;
}

export function listInbox(sql: Sql, tenantId: string, page: PageRequest): Promise<Slice<InboxItem>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<InboxItem[]>`
      select ${sql.unsafe(inboxColumns)} from federation_inbox
      where tenant_id = ${tenantId} and deleted_at is null ${k.after} ${k.page}`,
  );
}

import type { Sql } from "postgres";
import { isUuid, uuidv7 } from "../platform/ids.ts";

/** A local actor: a user (Person) or a course (Group), with its tenant. */
export type LocalActor =
  | {
      kind: "user";
      id: string;
      tenantId: string;
      slug: string;
      tenantDomain: string | null;
      username: string;
      name: string;
      role: string;
      createdAt: string | Date;
    }
  | {
      kind: "course";
      id: string;
      tenantId: string;
      slug: string;
      tenantDomain: string | null;
      title: string;
      description: string;
      courseType: string;
      instructorId: string;
      createdAt: string | Date;
    };

export async function findLocalActor(sql: Sql, id: string): Promise<LocalActor | undefined> {
  if (!isUuid(id)) return undefined;
  const [user] = await sql<
    {
      id: string;
      tenant_id: string;
      slug: string;
      domain: string | null;
      username: string;
      display_name: string;
      role: string;
      created_at: string;
    }[]
  >`select u.id, u.tenant_id, t.slug, t.domain, u.username, u.display_name, u.role, u.created_at
    from users u join tenants t on t.id = u.tenant_id where u.id = ${id}`;
  if (user) {
    return {
      kind: "user",
      id: user.id,
      tenantId: user.tenant_id,
      slug: user.slug,
      tenantDomain: user.domain,
      username: user.username,
      name: user.display_name,
      role: user.role,
      createdAt: user.created_at,
    };
  }
  const [course] = await sql<
    {
      id: string;
      tenant_id: string;
      slug: string;
      domain: string | null;
      title: string;
      description: string;
      course_type: string;
      instructor_id: string;
      created_at: string;
    }[]
  >`select c.id, c.tenant_id, t.slug, t.domain, c.title, c.description, c.course_type, c.instructor_id, c.created_at
    from courses c join tenants t on t.id = c.tenant_id where c.id = ${id}`;
  if (!course) return undefined;
  return {
    kind: "course",
    id: course.id,
    tenantId: course.tenant_id,
    slug: course.slug,
    tenantDomain: course.domain,
    title: course.title,
    description: course.description,
    courseType: course.course_type,
    instructorId: course.instructor_id,
    createdAt: course.created_at,
  };
}

/** Maps a WebFinger handle's local part to an actor id (see federation.ts for the handle format). */
export async function resolveHandle(
  sql: Sql,
  handle: string,
  requestHost: string,
): Promise<string | undefined> {
  const lower = handle.toLowerCase();
  const course = /^([a-z0-9][a-z0-9-]{1,62})\.course-([0-9a-f-]{36})$/.exec(lower);
  if (course) {
    const [row] = await sql<{ id: string }[]>`
      select c.id from courses c join tenants t on t.id = c.tenant_id
      where t.slug = ${course[1] as string} and c.id = ${course[2] as string}`;
    return row?.id;
  }
  const dot = lower.indexOf(".");
  if (dot > 0) {
    const [row] = await sql<{ id: string }[]>`
      select u.id from users u join tenants t on t.id = u.tenant_id
      where t.slug = ${lower.slice(0, dot)} and u.username = ${handle.slice(dot + 1)}`;
    if (row) return row.id;
  }
  // On a tenant's own domain the handle is the bare username.
  const [row] = await sql<{ id: string }[]>`
    select u.id from users u join tenants t on t.id = u.tenant_id
    where t.domain = ${requestHost.replace(/:\d+$/, "").toLowerCase()} and u.username = ${handle}`;
  return row?.id;
}

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

/** Drops a remote actor everywhere (its inbox answered 404/410). */
export async function forgetRemoteActor(sql: Sql, actorUri: string): Promise<void> {
  await sql`delete from federation_followers where actor_uri = ${actorUri}`;
}

/** The followers and members of local actors, distinct by remote actor, in id order. */
export async function listFollowers(
  sql: Sql,
  localActorIds: string[],
  after: string | null,
  limit: number,
): Promise<Follower[]> {
  return sql<Follower[]>`
    select distinct on (id) id, actor_uri, inbox_uri, shared_inbox_uri, host, relation, created_at
    from federation_followers
    where local_actor_id = any(${localActorIds}::uuid[]) ${after ? sql`and id > ${after}` : sql``}
    order by id limit ${limit}`;
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
            ${new URL(row.actor_uri).host}, ${row.relation}, ${row.activity_uri}, ${row.name})
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

export async function listFollowing(
  sql: Sql,
  tenantId: string,
  filter: { userId?: string },
  after: string | null,
  limit: number,
): Promise<Following[]> {
  return sql<Following[]>`
    select ${sql.unsafe(followingColumns)} from federation_following
    where tenant_id = ${tenantId} ${filter.userId ? sql`and user_id = ${filter.userId}` : sql``}
      ${after ? sql`and id > ${after}` : sql``}
    order by id limit ${limit + 1}`;
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
  item: Omit<InboxItem, "id" | "received_at" | "updated_at" | "deleted_at">,
): Promise<boolean> {
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
      : await sql`update federation_inbox set content = content || ${sql.json(change.content as never)}::jsonb, updated_at = now()
                  where object_uri = ${objectUri} and actor_uri = ${actorUri} returning 1`;
  return rows.length;
}

export async function listInbox(
  sql: Sql,
  tenantId: string,
  after: string | null,
  limit: number,
): Promise<InboxItem[]> {
  return sql<InboxItem[]>`
    select ${sql.unsafe(inboxColumns)} from federation_inbox
    where tenant_id = ${tenantId} and deleted_at is null ${after ? sql`and id > ${after}` : sql``}
    order by id limit ${limit + 1}`;
}

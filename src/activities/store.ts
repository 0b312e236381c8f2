import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";

export interface Activity {
  id: string;
  tenant_id: string;
  actor_id: string;
  type: string;
  object_type: string;
  object_id: string;
  summary: Record<string, unknown>;
  created_at: string;
}

const columns = "id, tenant_id, actor_id, type, object_type, object_id, summary, created_at";

export async function insertActivity(sql: Sql, activity: Omit<Activity, "created_at">): Promise<Activity> {
  const [row] = await sql<Activity[]>`
    insert into activities (id, tenant_id, actor_id, type, object_type, object_id, summary)
    values (${activity.id}, ${activity.tenant_id}, ${activity.actor_id}, ${activity.type},
            ${activity.object_type}, ${activity.object_id}, ${sql.json(activity.summary as never)})
    returning ${sql.unsafe(columns)}`;
  return row as Activity;
}

/** An activity of any tenant by id (the federation worker publishes it). */
export async function findActivityById(sql: Sql, id: string): Promise<Activity | undefined> {
  const [row] = await sql<Activity[]>`select ${sql.unsafe(columns)} from activities where id = ${id}`;
  return row;
}

export function listActivities(sql: Sql, tenantId: string, page: PageRequest): Promise<Slice<Activity>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<Activity[]>`
      select ${sql.unsafe(columns)} from activities where tenant_id = ${tenantId} ${k.after} ${k.page}`,
  );
}

/**
 * The rows of an actor's outbox: its Create, Update and Delete of Articles and Notes whose visibility
 * (`summary.visibility`; `followers` for rows recorded before it existed) is one of `visibilities`,
 * without the Create/Update of content deleted since (its Delete is listed instead). Newest first.
 */
const published = (sql: Sql, actorId: string, visibilities: readonly string[]) => sql`
  actor_id = ${actorId} and type in ('Create', 'Update', 'Delete') and object_type in ('Article', 'Note')
  and coalesce(summary->>'visibility', 'followers') = any(${visibilities as string[]}::text[])
  and (type = 'Delete' or not exists (
    select 1 from activities d where d.actor_id = a.actor_id and d.type = 'Delete' and d.object_id = a.object_id))`;

export function listPublished(
  sql: Sql,
  actorId: string,
  visibilities: readonly string[],
  page: PageRequest,
): Promise<Slice<Activity>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<Activity[]>`
      select ${sql.unsafe(columns)} from activities a
      where ${published(sql, actorId, visibilities)} ${k.after} ${k.page}`,
    "descending",
  );
}

export async function countPublished(
  sql: Sql,
  actorId: string,
  visibilities: readonly string[],
): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from activities a where ${published(sql, actorId, visibilities)}`;
  return row?.n ?? 0;
}

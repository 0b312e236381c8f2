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

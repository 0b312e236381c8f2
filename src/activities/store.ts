import type { Sql } from "postgres";

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

export async function listActivities(
  sql: Sql,
  tenantId: string,
  after: string | null,
  limit: number,
): Promise<Activity[]> {
  return sql<Activity[]>`
    select ${sql.unsafe(columns)} from activities
    where tenant_id = ${tenantId} ${after ? sql`and id > ${after}` : sql``}
    order by id limit ${limit + 1}`;
}

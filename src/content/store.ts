import type { Sql } from "postgres";

export const CONTENT_TYPES = [
  "lesson",
  "quiz",
  "assignment",
  "discussion",
  "announcement",
  "resource",
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export interface Content {
  id: string;
  tenant_id: string;
  course_id: string;
  author_id: string;
  content_type: ContentType;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export type ContentChanges = Partial<Pick<Content, "title" | "body">>;

const columns = "id, tenant_id, course_id, author_id, content_type, title, body, created_at, updated_at";

export async function insertContent(
  sql: Sql,
  content: Omit<Content, "created_at" | "updated_at">,
): Promise<Content> {
  const [row] = await sql<Content[]>`
    insert into content (id, tenant_id, course_id, author_id, content_type, title, body)
    values (${content.id}, ${content.tenant_id}, ${content.course_id}, ${content.author_id},
            ${content.content_type}, ${content.title}, ${content.body})
    returning ${sql.unsafe(columns)}`;
  return row as Content;
}

export async function findContent(sql: Sql, tenantId: string, id: string): Promise<Content | undefined> {
  const [row] = await sql<
    Content[]
  >`select ${sql.unsafe(columns)} from content where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}

export async function listContent(
  sql: Sql,
  tenantId: string,
  courseId: string,
  after: string | null,
  limit: number,
): Promise<Content[]> {
  return sql<Content[]>`
    select ${sql.unsafe(columns)} from content
    where tenant_id = ${tenantId} and course_id = ${courseId} ${after ? sql`and id > ${after}` : sql``}
    order by id limit ${limit + 1}`;
}

export async function updateContent(
  sql: Sql,
  tenantId: string,
  id: string,
  changes: ContentChanges,
): Promise<Content | undefined> {
  const [row] = await sql<Content[]>`
    update content set
      title = coalesce(${changes.title ?? null}, title),
      body = coalesce(${changes.body ?? null}, body),
      updated_at = now()
    where tenant_id = ${tenantId} and id = ${id}
    returning ${sql.unsafe(columns)}`;
  return row;
}

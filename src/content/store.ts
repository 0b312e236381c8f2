import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";

export const CONTENT_TYPES = [
  "lesson",
  "quiz",
  "assignment",
  "discussion",
  "announcement",
  "resource",
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/**
 * How content federates, as Mastodon reads `to`/`cc` (federation/audience.ts): `public` to the Public
 * collection, `unlisted` to the followers with Public in cc, `followers` to the followers only (the
 * default: course material is for the course). It does not change who may read it through the API.
 */
export const VISIBILITIES = ["public", "unlisted", "followers"] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export interface Content {
  id: string;
  tenant_id: string;
  course_id: string;
  author_id: string;
  content_type: ContentType;
  visibility: Visibility;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export type ContentChanges = Partial<Pick<Content, "title" | "body">>;

const columns =
  "id, tenant_id, course_id, author_id, content_type, visibility, title, body, created_at, updated_at";

export async function insertContent(
  sql: Sql,
  content: Omit<Content, "created_at" | "updated_at">,
): Promise<Content> {
  const [row] = await sql<Content[]>`
    insert into content (id, tenant_id, course_id, author_id, content_type, visibility, title, body)
    values (${content.id}, ${content.tenant_id}, ${content.course_id}, ${content.author_id},
            ${content.content_type}, ${content.visibility}, ${content.title}, ${content.body})
    returning ${sql.unsafe(columns)}`;
  return row as Content;
}

export async function findContent(sql: Sql, tenantId: string, id: string): Promise<Content | undefined> {
  const [row] = await sql<
    Content[]
  >`select ${sql.unsafe(columns)} from content where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}

/** Content of any tenant by its (globally unique) id: what federation publishes. */
export async function findContentById(sql: Sql, id: string): Promise<Content | undefined> {
  const [row] = await sql<Content[]>`select ${sql.unsafe(columns)} from content where id = ${id}`;
  return row;
}

export function listContent(
  sql: Sql,
  tenantId: string,
  courseId: string,
  page: PageRequest,
): Promise<Slice<Content>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<Content[]>`
      select ${sql.unsafe(columns)} from content
      where tenant_id = ${tenantId} and course_id = ${courseId} ${k.after} ${k.page}`,
  );
}

/** Content of every tenant (NodeInfo's local posts). */
export async function countContent(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from content`;
  return row?.n ?? 0;
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

export async function deleteContent(sql: Sql, tenantId: string, id: string): Promise<Content | undefined> {
  const [row] = await sql<Content[]>`
    delete from content where tenant_id = ${tenantId} and id = ${id} returning ${sql.unsafe(columns)}`;
  return row;
}

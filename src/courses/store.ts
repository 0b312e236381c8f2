import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";

export const COURSE_TYPES = ["self_paced", "cohort", "live", "blended"] as const;
export type CourseType = (typeof COURSE_TYPES)[number];

export interface Course {
  id: string;
  tenant_id: string;
  title: string;
  description: string;
  course_type: CourseType;
  instructor_id: string;
  created_at: string;
  updated_at: string;
}

export type CourseChanges = Partial<Pick<Course, "title" | "description" | "course_type">>;

const columns = "id, tenant_id, title, description, course_type, instructor_id, created_at, updated_at";

export async function insertCourse(
  sql: Sql,
  course: Omit<Course, "created_at" | "updated_at">,
): Promise<Course> {
  const [row] = await sql<Course[]>`
    insert into courses (id, tenant_id, title, description, course_type, instructor_id)
    values (${course.id}, ${course.tenant_id}, ${course.title}, ${course.description}, ${course.course_type}, ${course.instructor_id})
    returning ${sql.unsafe(columns)}`;
  return row as Course;
}

export async function findCourse(sql: Sql, tenantId: string, id: string): Promise<Course | undefined> {
  const [row] = await sql<
    Course[]
  >`select ${sql.unsafe(columns)} from courses where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}

/** A course of any tenant by its (globally unique) id: federation's Group actors. */
export async function findCourseById(sql: Sql, id: string): Promise<Course | undefined> {
  const [row] = await sql<Course[]>`select ${sql.unsafe(columns)} from courses where id = ${id}`;
  return row;
}

export function listCourses(sql: Sql, tenantId: string, page: PageRequest): Promise<Slice<Course>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<Course[]>`
      select ${sql.unsafe(columns)} from courses where tenant_id = ${tenantId} ${k.after} ${k.page}`,
  );
}

export async function updateCourse(
  sql: Sql,
  tenantId: string,
  id: string,
  changes: CourseChanges,
): Promise<Course | undefined> {
  const [row] = await sql<Course[]>`
    update courses set
      title = coalesce(${changes.title ?? null}, title),
      description = coalesce(${changes.description ?? null}, description),
      course_type = coalesce(${changes.course_type ?? null}, course_type),
      updated_at = now()
    where tenant_id = ${tenantId} and id = ${id}
    returning ${sql.unsafe(columns)}`;
  return row;
}

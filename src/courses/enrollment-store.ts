import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";

export interface Enrollment {
  id: string;
  tenant_id: string;
  course_id: string;
  user_id: string;
  created_at: string;
}

const columns = "id, tenant_id, course_id, user_id, created_at";

/** Inserts the enrollment unless it exists; `created` tells a first enrolment from a repeated one. */
export async function enrol(
  sql: Sql,
  enrollment: Omit<Enrollment, "created_at">,
): Promise<{ enrollment: Enrollment; created: boolean }> {
  const [inserted] = await sql<Enrollment[]>`
    insert into enrollments (id, tenant_id, course_id, user_id)
    values (${enrollment.id}, ${enrollment.tenant_id}, ${enrollment.course_id}, ${enrollment.user_id})
    on conflict (course_id, user_id) do nothing
    returning ${sql.unsafe(columns)}`;
  if (inserted) return { enrollment: inserted, created: true };
  const [existing] = await sql<Enrollment[]>`
    select ${sql.unsafe(columns)} from enrollments
    where tenant_id = ${enrollment.tenant_id} and course_id = ${enrollment.course_id} and user_id = ${enrollment.user_id}`;
  return { enrollment: existing as Enrollment, created: false };
}

export async function isEnrolled(
  sql: Sql,
  tenantId: string,
  courseId: string,
  userId: string,
): Promise<boolean> {
  const [row] = await sql`
    select 1 from enrollments where tenant_id = ${tenantId} and course_id = ${courseId} and user_id = ${userId}`;
  return row !== undefined;
}

export function listEnrollments(
  sql: Sql,
  tenantId: string,
  by: { courseId: string } | { userId: string },
  page: PageRequest,
): Promise<Slice<Enrollment>> {
  const filter = "courseId" in by ? sql`course_id = ${by.courseId}` : sql`user_id = ${by.userId}`;
  return keysetPage(
    sql,
    page,
    (k) => sql<Enrollment[]>`
      select ${sql.unsafe(columns)} from enrollments where tenant_id = ${tenantId} and ${filter} ${k.after} ${k.page}`,
  );
}

import type { ActivityService } from "../activities/service.ts";
import { type Sql, transaction } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { forbidden, notFound } from "../platform/http/errors.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { DomainMetrics } from "../platform/telemetry/metrics.ts";
import { type Caller, requireSession } from "../users/auth.ts";
import { type Enrollment, enrol, isEnrolled, listEnrollments } from "./enrollment-store.ts";
import {
  type Course,
  type CourseChanges,
  type CourseType,
  findCourse,
  findCourseById,
  insertCourse,
  listCourses,
  updateCourse,
} from "./store.ts";

export type { Course, Enrollment };

export interface NewCourse {
  title: string;
  description: string;
  course_type: CourseType;
}

/**
 * Courses of a tenant and who is enrolled in them. Every change is recorded as an activity in the same
 * transaction (Create/Update of the course's Group, Join for a first enrolment).
 */
export function createCourseService(deps: {
  sql: Sql;
  activities: Pick<ActivityService, "record">;
  metrics: Pick<DomainMetrics, "enrolled">;
}) {
  const { sql, activities } = deps;

  async function courseOf(caller: Caller, id: string): Promise<Course> {
    const course = await findCourse(sql, caller.tenant.id, id);
    if (!course) throw notFound("Course");
    return course;
  }

  return {
    /** Instructors and admins create courses; the creator is the course's instructor. */
    async create(caller: Caller, input: NewCourse): Promise<Course> {
      const session = requireSession(caller, "instructor", "admin");
      return transaction(sql, async (tx) => {
        const created = await insertCourse(tx, {
          id: uuidv7(),
          tenant_id: caller.tenant.id,
          instructor_id: session.userId,
          ...input,
        });
        await activities.record(tx, {
          tenant_id: created.tenant_id,
          actor_id: session.userId,
          type: "Create",
          object_type: "Group",
          object_id: created.id,
          summary: { title: created.title, course_type: created.course_type },
        });
        return created;
      });
    },

    list(caller: Caller, page: PageRequest): Promise<Slice<Course>> {
      requireSession(caller);
      return listCourses(sql, caller.tenant.id, page);
    },

    get(caller: Caller, id: string): Promise<Course> {
      requireSession(caller);
      return courseOf(caller, id);
    },

    /** Only the course's instructor or an admin changes a course (the API schema requires a change). */
    async update(caller: Caller, id: string, changes: CourseChanges): Promise<Course> {
      const session = requireSession(caller, "instructor", "admin");
      const tenantId = caller.tenant.id;
      return transaction(sql, async (tx) => {
        const current = await findCourse(tx, tenantId, id);
        if (!current) throw notFound("Course");
        if (session.role !== "admin" && current.instructor_id !== session.userId) {
          throw forbidden("Only the course's instructor or an admin can change it");
        }
        const updated = (await updateCourse(tx, tenantId, id, changes)) as Course;
        await activities.record(tx, {
          tenant_id: tenantId,
          actor_id: session.userId,
          type: "Update",
          object_type: "Group",
          object_id: id,
          summary: { fields: Object.keys(changes) },
        });
        return updated;
      });
    },

    /** Enrols the signed-in user; enrolling again returns the existing enrollment (`created` false). */
    async enrol(caller: Caller, courseId: string): Promise<{ enrollment: Enrollment; created: boolean }> {
      const session = requireSession(caller);
      const tenant = caller.tenant;
      const course = await courseOf(caller, courseId);
      const result = await transaction(sql, async (tx) => {
        const outcome = await enrol(tx, {
          id: uuidv7(),
          tenant_id: tenant.id,
          course_id: courseId,
          user_id: session.userId,
        });
        if (outcome.created) {
          await activities.record(tx, {
            tenant_id: tenant.id,
            actor_id: session.userId,
            type: "Join",
            object_type: "Group",
            object_id: courseId,
            summary: { course_type: course.course_type },
          });
        }
        return outcome;
      });
      if (result.created) deps.metrics.enrolled(tenant.slug, course.course_type);
      return result;
    },

    /** Who is enrolled: the course's instructor and admins only. */
    async enrollments(caller: Caller, courseId: string, page: PageRequest): Promise<Slice<Enrollment>> {
      const session = requireSession(caller, "instructor", "admin");
      const course = await courseOf(caller, courseId);
      if (session.role !== "admin" && course.instructor_id !== session.userId) {
        throw forbidden("Only the course's instructor or an admin can list its enrollments");
      }
      return listEnrollments(sql, caller.tenant.id, { courseId }, page);
    },

    myEnrollments(caller: Caller, page: PageRequest): Promise<Slice<Enrollment>> {
      const session = requireSession(caller);
      return listEnrollments(sql, caller.tenant.id, { userId: session.userId }, page);
    },

    /** The tenant's course, or a 404 (content is published in courses). */
    find: courseOf,
    isEnrolled: (tenantId: string, courseId: string, userId: string) =>
      isEnrolled(sql, tenantId, courseId, userId),
    /** Any tenant's course by id (federation's Group actors). */
    byId: (id: string) => findCourseById(sql, id),
  };
}

export type CourseService = ReturnType<typeof createCourseService>;

import type { ActivityService } from "../activities/service.ts";
import type { Course, CourseService } from "../courses/service.ts";
import { type Sql, transaction } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { forbidden, notFound } from "../platform/http/errors.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { DomainMetrics } from "../platform/telemetry/metrics.ts";
import { type Caller, requireSession, type Session } from "../users/auth.ts";
import { mayPublish, mayRead, objectTypeOf, type Participation } from "./rules.ts";
import {
  type Content,
  type ContentChanges,
  type ContentType,
  countContent,
  findContent,
  findContentById,
  insertContent,
  listContent,
  updateContent,
} from "./store.ts";

export type { Content };

export interface NewContent {
  content_type: ContentType;
  title: string;
  body: string;
}

/**
 * What is published in courses. Who may read and publish follows rules.ts; publishing and editing
 * record a Create/Update activity (Article or Note) in the same transaction, which federates it.
 */
export function createContentService(deps: {
  sql: Sql;
  courses: Pick<CourseService, "find" | "isEnrolled">;
  activities: Pick<ActivityService, "record">;
  metrics: Pick<DomainMetrics, "contentCreated">;
}) {
  const { sql, courses, activities } = deps;

  async function participation(caller: Caller, session: Session, course: Course): Promise<Participation> {
    const isCourseInstructor = course.instructor_id === session.userId;
    return {
      role: session.role,
      isCourseInstructor,
      isEnrolled:
        !isCourseInstructor && (await courses.isEnrolled(caller.tenant.id, course.id, session.userId)),
    };
  }

  async function requireReader(caller: Caller, session: Session, course: Course): Promise<void> {
    if (!mayRead(await participation(caller, session, course)))
      throw forbidden("Enrol in the course to read its content");
  }

  return {
    async publish(caller: Caller, courseId: string, input: NewContent): Promise<Content> {
      const session = requireSession(caller);
      const course = await courses.find(caller, courseId);
      if (!mayPublish(await participation(caller, session, course), input.content_type)) {
        throw forbidden(`Your role cannot publish ${input.content_type} in this course`);
      }
      const item = await transaction(sql, async (tx) => {
        const created = await insertContent(tx, {
          id: uuidv7(),
          tenant_id: course.tenant_id,
          course_id: course.id,
          author_id: session.userId,
          ...input,
        });
        await activities.record(tx, {
          tenant_id: course.tenant_id,
          actor_id: session.userId,
          type: "Create",
          object_type: objectTypeOf(created.content_type),
          object_id: created.id,
          summary: { course_id: course.id, content_type: created.content_type, title: created.title },
        });
        return created;
      });
      deps.metrics.contentCreated(caller.tenant.slug, item.content_type, session.role);
      return item;
    },

    async listInCourse(caller: Caller, courseId: string, page: PageRequest): Promise<Slice<Content>> {
      const session = requireSession(caller);
      const course = await courses.find(caller, courseId);
      await requireReader(caller, session, course);
      return listContent(sql, course.tenant_id, course.id, page);
    },

    async get(caller: Caller, id: string): Promise<Content> {
      const session = requireSession(caller);
      const item = await findContent(sql, caller.tenant.id, id);
      if (!item) throw notFound("Content");
      await requireReader(caller, session, await courses.find(caller, item.course_id));
      return item;
    },

    /** Its author or an admin edits content (the API schema requires a change). */
    async edit(caller: Caller, id: string, changes: ContentChanges): Promise<Content> {
      const session = requireSession(caller);
      const tenantId = caller.tenant.id;
      return transaction(sql, async (tx) => {
        const current = await findContent(tx, tenantId, id);
        if (!current) throw notFound("Content");
        if (session.role !== "admin" && current.author_id !== session.userId) {
          throw forbidden("Only the author or an admin can edit this content");
        }
        const updated = (await updateContent(tx, tenantId, id, changes)) as Content;
        await activities.record(tx, {
          tenant_id: tenantId,
          actor_id: session.userId,
          type: "Update",
          object_type: objectTypeOf(updated.content_type),
          object_id: id,
          summary: { fields: Object.keys(changes) },
        });
        return updated;
      });
    },

    /** Any tenant's content by id (what federation publishes). */
    byId: (id: string) => findContentById(sql, id),
    /** Content of every tenant (NodeInfo). */
    count: () => countContent(sql),
  };
}

export type ContentService = ReturnType<typeof createContentService>;

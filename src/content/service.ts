import type { ActivityService } from "../activities/service.ts";
import type { Course, CourseService } from "../courses/service.ts";
import { type Sql, transaction } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { forbidden, notFound } from "../platform/http/errors.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { DomainMetrics } from "../platform/telemetry/metrics.ts";
import { type Caller, requireSession, type Session } from "../users/auth.ts";
import { mayChange, mayPublish, mayRead, objectTypeOf, type Participation } from "./rules.ts";
import {
  type Content,
  type ContentChanges,
  type ContentType,
  countContent,
  deleteContent,
  findContent,
  findContentById,
  insertContent,
  listContent,
  updateContent,
  type Visibility,
} from "./store.ts";

export type { Content };

export interface NewContent {
  content_type: ContentType;
  /** How it federates; `followers` when omitted. */
  visibility?: Visibility | undefined;
  title: string;
  body: string;
}

/**
 * An activity on content, as it federates: its actor is the content's author (receivers accept an
 * Update or Delete only from the object's owner; Mastodon's moderators' deletions are sent as the
 * author too), and `summary.by` names an admin who acted on someone else's content. The summary keeps
 * the course and visibility, so the Update and Delete reach whoever received the Create, even once the
 * content row is gone.
 */
function contentActivity(type: "Create" | "Update" | "Delete", item: Content, by: string, extra = {}) {
  return {
    tenant_id: item.tenant_id,
    actor_id: item.author_id,
    type,
    object_type: objectTypeOf(item.content_type),
    object_id: item.id,
    summary: {
      course_id: item.course_id,
      visibility: item.visibility,
      content_type: item.content_type,
      title: item.title,
      ...(by === item.author_id ? {} : { by }),
      ...extra,
    },
  };
}

/**
 * What is published in courses. Who may read and publish follows rules.ts; publishing, editing and
 * deleting record a Create/Update/Delete activity (Article or Note) in the same transaction, which
 * federates it.
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

  /** The content `id` of the tenant, if the session may edit or delete it (404 unknown, 403 not allowed). */
  async function changeable(
    tx: Sql,
    session: Session,
    tenantId: string,
    id: string,
    verb: "edit" | "delete",
  ): Promise<Content> {
    const current = await findContent(tx, tenantId, id);
    if (!current) throw notFound("Content");
    if (!mayChange(session, current.author_id))
      throw forbidden(`Only the author or an admin can ${verb} this content`);
    return current;
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
          content_type: input.content_type,
          visibility: input.visibility ?? "followers",
          title: input.title,
          body: input.body,
        });
        await activities.record(tx, contentActivity("Create", created, session.userId));
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
        await changeable(tx, session, tenantId, id, "edit");
        const updated = (await updateContent(tx, tenantId, id, changes)) as Content;
        await activities.record(
          tx,
          contentActivity("Update", updated, session.userId, { fields: Object.keys(changes) }),
        );
        return updated;
      });
    },

    /**
     * Its author or an admin deletes content (404 for another tenant's or an unknown id, 403 for
     * anyone else); the Delete activity goes to everyone who received the Create (ActivityPub §6.4).
     */
    async remove(caller: Caller, id: string): Promise<void> {
      const session = requireSession(caller);
      const tenantId = caller.tenant.id;
      await transaction(sql, async (tx) => {
        const current = await changeable(tx, session, tenantId, id, "delete");
        await deleteContent(tx, tenantId, id);
        await activities.record(tx, contentActivity("Delete", current, session.userId));
      });
    },

    /** Any tenant's content by id (what federation publishes). */
    byId: (id: string) => findContentById(sql, id),
    /** Content of every tenant (NodeInfo). */
    count: () => countContent(sql),
  };
}

export type ContentService = ReturnType<typeof createContentService>;

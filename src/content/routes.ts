import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isEnrolled } from "../courses/enrollment-store.ts";
import { type Course, findCourse } from "../courses/store.ts";
import { transaction } from "../platform/db/client.ts";
import type { AppDeps, AppEnv } from "../platform/http/context.ts";
import { badRequest, forbidden, notFound } from "../platform/http/errors.ts";
import {
  bearerSecurity,
  commonErrors,
  IdParams,
  jsonBody,
  jsonResponse,
  timestamp,
} from "../platform/http/openapi.ts";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { uuidv7 } from "../platform/ids.ts";
import { requireSession } from "../users/auth.ts";
import { tenantScoped } from "../users/scope.ts";
import type { Session } from "../users/sessions.ts";
import { mayPublish, mayRead, objectTypeOf, type Participation } from "./rules.ts";
import {
  CONTENT_TYPES,
  type Content,
  findContent,
  insertContent,
  listContent,
  updateContent,
} from "./store.ts";

const ContentSchema = z
  .object({
    id: z.uuid(),
    course_id: z.uuid(),
    author_id: z.uuid(),
    content_type: z.enum(CONTENT_TYPES),
    title: z.string(),
    body: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Content");

const NewContent = z.object({
  content_type: z.enum(CONTENT_TYPES),
  title: z.string().trim().min(1).max(300),
  body: z.string().min(1).max(200_000),
});
const ContentChanges = NewContent.omit({ content_type: true }).partial();

const serializeContent = (item: Content) => ({
  id: item.id,
  course_id: item.course_id,
  author_id: item.author_id,
  content_type: item.content_type,
  title: item.title,
  body: item.body,
  created_at: item.created_at,
  updated_at: item.updated_at,
});

export function contentRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = tenantScoped(deps);

  async function participation(c: Context<AppEnv>, session: Session, course: Course): Promise<Participation> {
    const isCourseInstructor = course.instructor_id === session.userId;
    return {
      role: session.role,
      isCourseInstructor,
      isEnrolled: !isCourseInstructor && (await isEnrolled(sql, c.var.tenant.id, course.id, session.userId)),
    };
  }

  async function courseOf(c: Context<AppEnv>, id: string): Promise<Course> {
    const course = await findCourse(sql, c.var.tenant.id, id);
    if (!course) throw notFound("Course");
    return course;
  }

  app.openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/content",
      summary: "Publish content in a course (lessons etc. by staff, discussions by participants)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, ...jsonBody(NewContent) },
      responses: { 201: jsonResponse(ContentSchema, "Published"), ...commonErrors },
    }),
    async (c) => {
      const session = requireSession(c);
      const course = await courseOf(c, c.req.valid("param").id);
      const input = c.req.valid("json");
      if (!mayPublish(await participation(c, session, course), input.content_type)) {
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
        await deps.activities.record(tx, {
          tenant_id: course.tenant_id,
          actor_id: session.userId,
          type: "Create",
          object_type: objectTypeOf(created.content_type),
          object_id: created.id,
          summary: { course_id: course.id, content_type: created.content_type, title: created.title },
        });
        return created;
      });
      deps.metrics.domain.contentCreated(c.var.tenant.slug, item.content_type, session.role);
      return c.json(serializeContent(item), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/courses/{id}/content",
      summary: "A course's content (participants and staff)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(ContentSchema), "A page of content"), ...commonErrors },
    }),
    async (c) => {
      const session = requireSession(c);
      const course = await courseOf(c, c.req.valid("param").id);
      if (!mayRead(await participation(c, session, course)))
        throw forbidden("Enrol in the course to read its content");
      const { limit, cursor } = c.req.valid("query");
      const page = toPage(
        await listContent(sql, course.tenant_id, course.id, decodeCursor(cursor), limit),
        limit,
        serializeContent,
      );
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/content/{id}",
      summary: "One piece of content",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams },
      responses: { 200: jsonResponse(ContentSchema, "The content"), ...commonErrors },
    }),
    async (c) => {
      const session = requireSession(c);
      const item = await findContent(sql, c.var.tenant.id, c.req.valid("param").id);
      if (!item) throw notFound("Content");
      if (!mayRead(await participation(c, session, await courseOf(c, item.course_id)))) {
        throw forbidden("Enrol in the course to read its content");
      }
      return c.json(serializeContent(item), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/content/{id}",
      summary: "Edit content (its author or an admin)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, ...jsonBody(ContentChanges) },
      responses: { 200: jsonResponse(ContentSchema, "The edited content"), ...commonErrors },
    }),
    async (c) => {
      const session = requireSession(c);
      const { id } = c.req.valid("param");
      const changes = c.req.valid("json");
      if (Object.keys(changes).length === 0) throw badRequest("Nothing to change");
      const tenantId = c.var.tenant.id;
      const item = await transaction(sql, async (tx) => {
        const current = await findContent(tx, tenantId, id);
        if (!current) throw notFound("Content");
        if (session.role !== "admin" && current.author_id !== session.userId) {
          throw forbidden("Only the author or an admin can edit this content");
        }
        const updated = (await updateContent(tx, tenantId, id, changes)) as Content;
        await deps.activities.record(tx, {
          tenant_id: tenantId,
          actor_id: session.userId,
          type: "Update",
          object_type: objectTypeOf(updated.content_type),
          object_id: id,
          summary: { fields: Object.keys(changes) },
        });
        return updated;
      });
      return c.json(serializeContent(item), 200);
    },
  );
  return app;
}

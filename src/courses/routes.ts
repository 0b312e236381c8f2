import { createRoute, z } from "@hono/zod-openapi";
import { transaction } from "../platform/db/client.ts";
import type { AppDeps } from "../platform/http/context.ts";
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
import { COURSE_TYPES, type Course, findCourse, insertCourse, listCourses, updateCourse } from "./store.ts";

export const CourseSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string(),
    course_type: z.enum(COURSE_TYPES),
    instructor_id: z.uuid(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Course");

const NewCourse = z.object({
  title: z.string().trim().min(1).max(200),
  description: z.string().max(20_000).default(""),
  course_type: z.enum(COURSE_TYPES),
});
const CourseChanges = NewCourse.partial().extend({ description: z.string().max(20_000).optional() });

export const serializeCourse = (course: Course) => ({
  id: course.id,
  title: course.title,
  description: course.description,
  course_type: course.course_type,
  instructor_id: course.instructor_id,
  created_at: course.created_at,
  updated_at: course.updated_at,
});

export function courseRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = tenantScoped(deps);

  app.openapi(
    createRoute({
      method: "post",
      path: "/courses",
      summary: "Create a course (instructors and admins)",
      security: bearerSecurity,
      middleware,
      request: jsonBody(NewCourse),
      responses: { 201: jsonResponse(CourseSchema, "Created"), ...commonErrors },
    }),
    async (c) => {
      const session = requireSession(c, "instructor", "admin");
      const input = c.req.valid("json");
      const course = await transaction(sql, async (tx) => {
        const created = await insertCourse(tx, {
          id: uuidv7(),
          tenant_id: c.var.tenant.id,
          instructor_id: session.userId,
          ...input,
        });
        await deps.activities.record(tx, {
          tenant_id: created.tenant_id,
          actor_id: session.userId,
          type: "Create",
          object_type: "Group",
          object_id: created.id,
          summary: { title: created.title, course_type: created.course_type },
        });
        return created;
      });
      return c.json(serializeCourse(course), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/courses",
      summary: "The tenant's course catalogue",
      security: bearerSecurity,
      middleware,
      request: { query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(CourseSchema), "A page of courses"), ...commonErrors },
    }),
    async (c) => {
      requireSession(c);
      const { limit, cursor } = c.req.valid("query");
      const page = toPage(
        await listCourses(sql, c.var.tenant.id, decodeCursor(cursor), limit),
        limit,
        serializeCourse,
      );
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/courses/{id}",
      summary: "One course",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams },
      responses: { 200: jsonResponse(CourseSchema, "The course"), ...commonErrors },
    }),
    async (c) => {
      requireSession(c);
      const course = await findCourse(sql, c.var.tenant.id, c.req.valid("param").id);
      if (!course) throw notFound("Course");
      return c.json(serializeCourse(course), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/courses/{id}",
      summary: "Change a course (its instructor or an admin)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, ...jsonBody(CourseChanges) },
      responses: { 200: jsonResponse(CourseSchema, "The changed course"), ...commonErrors },
    }),
    async (c) => {
      const session = requireSession(c, "instructor", "admin");
      const { id } = c.req.valid("param");
      const changes = c.req.valid("json");
      if (Object.keys(changes).length === 0) throw badRequest("Nothing to change");
      const tenantId = c.var.tenant.id;
      const course = await transaction(sql, async (tx) => {
        const current = await findCourse(tx, tenantId, id);
        if (!current) throw notFound("Course");
        if (session.role !== "admin" && current.instructor_id !== session.userId) {
          throw forbidden("Only the course's instructor or an admin can change it");
        }
        const updated = (await updateCourse(tx, tenantId, id, changes)) as Course;
        await deps.activities.record(tx, {
          tenant_id: tenantId,
          actor_id: session.userId,
          type: "Update",
          object_type: "Group",
          object_id: id,
          summary: { fields: Object.keys(changes) },
        });
        return updated;
      });
      return c.json(serializeCourse(course), 200);
    },
  );
  return app;
}

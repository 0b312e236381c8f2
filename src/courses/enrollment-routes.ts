import { createRoute, z } from "@hono/zod-openapi";
import { transaction } from "../platform/db/client.ts";
import type { AppDeps } from "../platform/http/context.ts";
import { forbidden, notFound } from "../platform/http/errors.ts";
import { bearerSecurity, commonErrors, IdParams, jsonResponse, timestamp } from "../platform/http/openapi.ts";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { uuidv7 } from "../platform/ids.ts";
import { requireSession } from "../users/auth.ts";
import { tenantScoped } from "../users/scope.ts";
import { type Enrollment, enrol, listEnrollments } from "./enrollment-store.ts";
import { findCourse } from "./store.ts";

const EnrollmentSchema = z
  .object({ id: z.uuid(), course_id: z.uuid(), user_id: z.uuid(), created_at: timestamp })
  .openapi("Enrollment");

const serializeEnrollment = (e: Enrollment) => ({
  id: e.id,
  course_id: e.course_id,
  user_id: e.user_id,
  created_at: e.created_at,
});

export function enrollmentRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = tenantScoped(deps);

  app.openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/enrollments",
      summary: "Enrol the signed-in user; enrolling again returns the existing enrollment",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams },
      responses: {
        201: jsonResponse(EnrollmentSchema, "Enrolled"),
        200: jsonResponse(EnrollmentSchema, "Already enrolled"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const tenant = c.var.tenant;
      const { id: courseId } = c.req.valid("param");
      const course = await findCourse(sql, tenant.id, courseId);
      if (!course) throw notFound("Course");
      const result = await transaction(sql, async (tx) => {
        const outcome = await enrol(tx, {
          id: uuidv7(),
          tenant_id: tenant.id,
          course_id: courseId,
          user_id: session.userId,
        });
        if (outcome.created) {
          await deps.activities.record(tx, {
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
      if (result.created) deps.metrics.domain.enrolled(tenant.slug, course.course_type);
      return c.json(serializeEnrollment(result.enrollment), result.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/courses/{id}/enrollments",
      summary: "Who is enrolled (the course's instructor and admins)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, query: pageQuery },
      responses: {
        200: jsonResponse(pageSchema(EnrollmentSchema), "A page of enrollments"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const session = requireSession(c, "instructor", "admin");
      const { id: courseId } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const course = await findCourse(sql, c.var.tenant.id, courseId);
      if (!course) throw notFound("Course");
      if (session.role !== "admin" && course.instructor_id !== session.userId) {
        throw forbidden("Only the course's instructor or an admin can list its enrollments");
      }
      const rows = await listEnrollments(sql, c.var.tenant.id, { courseId }, decodeCursor(cursor), limit);
      const page = toPage(rows, limit, serializeEnrollment);
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/users/me/enrollments",
      summary: "The signed-in user's enrollments",
      security: bearerSecurity,
      middleware,
      request: { query: pageQuery },
      responses: {
        200: jsonResponse(pageSchema(EnrollmentSchema), "A page of enrollments"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const { limit, cursor } = c.req.valid("query");
      const rows = await listEnrollments(
        sql,
        c.var.tenant.id,
        { userId: session.userId },
        decodeCursor(cursor),
        limit,
      );
      const page = toPage(rows, limit, serializeEnrollment);
      return c.json(page, 200);
    },
  );
  return app;
}

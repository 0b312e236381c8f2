import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import {
  bearerSecurity,
  bodyErrors,
  commonErrors,
  IdParams,
  jsonBody,
  jsonResponse,
} from "../platform/http/openapi.ts";
import { pageQuery, pageRequest, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { callerOf, type ScopedEnv } from "../users/auth.ts";
import {
  CourseChanges,
  CourseSchema,
  EnrollmentSchema,
  NewCourse,
  serializeCourse,
  serializeEnrollment,
} from "./schemas.ts";
import type { CourseService } from "./service.ts";

/** The tenant's course catalogue and enrollments. */
export function courseRoutes(deps: { courses: CourseService; scoped: MiddlewareHandler[] }) {
  const app = createRouter<ScopedEnv>();
  const { courses } = deps;
  const middleware = deps.scoped;

  app.openapi(
    createRoute({
      method: "post",
      path: "/courses",
      summary: "Create a course (instructors and admins)",
      security: bearerSecurity,
      middleware,
      request: jsonBody(NewCourse),
      responses: { 201: jsonResponse(CourseSchema, "Created"), ...commonErrors, ...bodyErrors },
    }),
    async (c) => c.json(serializeCourse(await courses.create(callerOf(c), c.req.valid("json"))), 201),
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
      const slice = await courses.list(callerOf(c), pageRequest(c.req.valid("query")));
      return c.json(toPage(slice, serializeCourse), 200);
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
    async (c) => c.json(serializeCourse(await courses.get(callerOf(c), c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/courses/{id}",
      summary: "Change a course (its instructor or an admin)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, ...jsonBody(CourseChanges) },
      responses: { 200: jsonResponse(CourseSchema, "The changed course"), ...commonErrors, ...bodyErrors },
    }),
    async (c) => {
      const course = await courses.update(callerOf(c), c.req.valid("param").id, c.req.valid("json"));
      return c.json(serializeCourse(course), 200);
    },
  );

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
      const { enrollment, created } = await courses.enrol(callerOf(c), c.req.valid("param").id);
      return c.json(serializeEnrollment(enrollment), created ? 201 : 200);
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
      const page = pageRequest(c.req.valid("query"));
      const slice = await courses.enrollments(callerOf(c), c.req.valid("param").id, page);
      return c.json(toPage(slice, serializeEnrollment), 200);
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
      const slice = await courses.myEnrollments(callerOf(c), pageRequest(c.req.valid("query")));
      return c.json(toPage(slice, serializeEnrollment), 200);
    },
  );
  return app;
}

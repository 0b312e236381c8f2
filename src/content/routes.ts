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
import { ContentChanges, ContentSchema, NewContent, serializeContent } from "./schemas.ts";
import type { ContentService } from "./service.ts";

/** Lessons, quizzes, discussions… published in a course. */
export function contentRoutes(deps: { content: ContentService; scoped: MiddlewareHandler[] }) {
  const app = createRouter<ScopedEnv>();
  const { content } = deps;
  const middleware = deps.scoped;

  app.openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/content",
      summary: "Publish content in a course (lessons etc. by staff, discussions by participants)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, ...jsonBody(NewContent) },
      responses: { 201: jsonResponse(ContentSchema, "Published"), ...commonErrors, ...bodyErrors },
    }),
    async (c) => {
      const item = await content.publish(callerOf(c), c.req.valid("param").id, c.req.valid("json"));
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
      const page = pageRequest(c.req.valid("query"));
      const slice = await content.listInCourse(callerOf(c), c.req.valid("param").id, page);
      return c.json(toPage(slice, serializeContent), 200);
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
    async (c) => c.json(serializeContent(await content.get(callerOf(c), c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/content/{id}",
      summary: "Edit content (its author or an admin)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams, ...jsonBody(ContentChanges) },
      responses: { 200: jsonResponse(ContentSchema, "The edited content"), ...commonErrors, ...bodyErrors },
    }),
    async (c) => {
      const item = await content.edit(callerOf(c), c.req.valid("param").id, c.req.valid("json"));
      return c.json(serializeContent(item), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/content/{id}",
      summary: "Delete content (its author or an admin); a Delete reaches everyone who received it",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams },
      responses: { 204: { description: "Deleted" }, ...commonErrors },
    }),
    async (c) => {
      await content.remove(callerOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
  return app;
}

import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import {
  bearerSecurity,
  bodyErrors,
  commonErrors,
  errorResponse,
  IdParams,
  jsonBody,
  jsonResponse,
} from "../platform/http/openapi.ts";
import { pageQuery, pageRequest, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { bearerDigest, callerOf, type ScopedEnv } from "./auth.ts";
import { Login, NewUserFields, SessionSchema, serializeUser, UserSchema } from "./schemas.ts";
import type { UserService } from "./service.ts";

/** Users of the tenant, and sessions: sign in with username and password, sign out. */
export function userRoutes(deps: { users: UserService; scoped: MiddlewareHandler[] }) {
  const app = createRouter<ScopedEnv>();
  const { users } = deps;
  const middleware = deps.scoped;

  app.openapi(
    createRoute({
      method: "post",
      path: "/sessions",
      summary: "Sign in: exchange username and password for a bearer token",
      middleware,
      request: jsonBody(Login),
      responses: { 201: jsonResponse(SessionSchema, "Signed in"), ...commonErrors, ...bodyErrors },
    }),
    async (c) => {
      const { username, password } = c.req.valid("json");
      const { token, expiresAt, user } = await users.signIn(c.var.tenant, username, password);
      c.var.logger.info("User {userId} signed in", { userId: user.id });
      return c.json(
        {
          token,
          token_type: "Bearer" as const,
          expires_at: expiresAt.toISOString(),
          user: serializeUser(user),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/sessions/current",
      summary: "Sign out: revoke the bearer token",
      security: bearerSecurity,
      middleware,
      responses: { 204: { description: "Signed out" }, ...commonErrors },
    }),
    async (c) => {
      await users.signOut(callerOf(c), bearerDigest(c) as string);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/users",
      summary: "Create a user in this tenant (admins only)",
      security: bearerSecurity,
      middleware,
      request: jsonBody(NewUserFields),
      responses: {
        201: jsonResponse(UserSchema, "Created"),
        409: errorResponse("Username or email taken"),
        ...commonErrors,
        ...bodyErrors,
      },
    }),
    async (c) => c.json(serializeUser(await users.create(callerOf(c), c.req.valid("json"))), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/users",
      summary: "List users (admins and instructors)",
      security: bearerSecurity,
      middleware,
      request: { query: pageQuery },
      responses: { 200: jsonResponse(pageSchema(UserSchema), "A page of users"), ...commonErrors },
    }),
    async (c) => {
      const slice = await users.list(callerOf(c), pageRequest(c.req.valid("query")));
      return c.json(toPage(slice, serializeUser), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/users/me",
      summary: "The signed-in user",
      security: bearerSecurity,
      middleware,
      responses: { 200: jsonResponse(UserSchema, "The user"), ...commonErrors },
    }),
    async (c) => c.json(serializeUser(await users.me(callerOf(c))), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/users/{id}",
      summary: "A user of this tenant (staff, or the user themself)",
      security: bearerSecurity,
      middleware,
      request: { params: IdParams },
      responses: { 200: jsonResponse(UserSchema, "The user"), ...commonErrors },
    }),
    async (c) => c.json(serializeUser(await users.get(callerOf(c), c.req.valid("param").id)), 200),
  );
  return app;
}

import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "../platform/http/context.ts";
import { notFound } from "../platform/http/errors.ts";
import {
  bearerSecurity,
  commonErrors,
  errorResponse,
  IdParams,
  jsonBody,
  jsonResponse,
  timestamp,
} from "../platform/http/openapi.ts";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { uuidv7 } from "../platform/ids.ts";
import { requireSession } from "./auth.ts";
import { hashPassword } from "./passwords.ts";
import { tenantScoped } from "./scope.ts";
import { findUser, insertUser, listUsers, ROLES, type User } from "./store.ts";

export const UserSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    email: z.string(),
    display_name: z.string(),
    role: z.enum(ROLES),
    created_at: timestamp,
  })
  .openapi("User");

export const NewUserFields = z.object({
  username: z.string().regex(/^[a-z0-9_.-]{2,64}$/i, "2-64 letters, digits, dots, dashes or underscores"),
  email: z.email().max(254),
  display_name: z.string().min(1).max(200).optional(),
  password: z.string().min(10, "at least 10 characters").max(256),
  role: z.enum(ROLES),
});

export const serializeUser = (u: User) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  display_name: u.display_name,
  role: u.role,
  created_at: u.created_at,
});

export function userRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = tenantScoped(deps);

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
      },
    }),
    async (c) => {
      requireSession(c, "admin");
      const input = c.req.valid("json");
      const user = await insertUser(sql, {
        id: uuidv7(),
        tenant_id: c.var.tenant.id,
        username: input.username,
        email: input.email,
        display_name: input.display_name ?? input.username,
        role: input.role,
        password_hash: await hashPassword(input.password, deps.config.passwordCost),
      });
      return c.json(serializeUser(user), 201);
    },
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
      requireSession(c, "admin", "instructor");
      const { limit, cursor } = c.req.valid("query");
      const page = toPage(
        await listUsers(sql, c.var.tenant.id, decodeCursor(cursor), limit),
        limit,
        serializeUser,
      );
      return c.json(page, 200);
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
    async (c) => {
      const session = requireSession(c);
      const user = await findUser(sql, c.var.tenant.id, session.userId);
      if (!user) throw notFound("User");
      return c.json(serializeUser(user), 200);
    },
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
    async (c) => {
      const session = requireSession(c);
      const { id } = c.req.valid("param");
      if (session.role === "student" && id !== session.userId) throw notFound("User");
      const user = await findUser(sql, c.var.tenant.id, id);
      if (!user) throw notFound("User");
      return c.json(serializeUser(user), 200);
    },
  );
  return app;
}

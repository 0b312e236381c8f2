import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "../platform/http/context.ts";
import { unauthorized } from "../platform/http/errors.ts";
import { bearerSecurity, commonErrors, jsonBody, jsonResponse, timestamp } from "../platform/http/openapi.ts";
import { createRouter } from "../platform/http/router.ts";
import { bearerDigest, requireSession } from "./auth.ts";
import { verifyPassword } from "./passwords.ts";
import { serializeUser, UserSchema } from "./routes.ts";
import { tenantScoped } from "./scope.ts";
import { findCredentials } from "./store.ts";

const Login = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
const SessionSchema = z
  .object({ token: z.string(), token_type: z.literal("Bearer"), expires_at: timestamp, user: UserSchema })
  .openapi("Session");

export function sessionRoutes(deps: AppDeps) {
  const app = createRouter();
  const middleware = tenantScoped(deps);

  app.openapi(
    createRoute({
      method: "post",
      path: "/sessions",
      summary: "Sign in: exchange username and password for a bearer token",
      middleware,
      request: jsonBody(Login),
      responses: { 201: jsonResponse(SessionSchema, "Signed in"), ...commonErrors },
    }),
    async (c) => {
      const { username, password } = c.req.valid("json");
      const tenant = c.var.tenant;
      const user = await findCredentials(deps.db.sql, tenant.id, username);
      if (!user || !(await verifyPassword(password, user.password_hash))) {
        throw unauthorized("Unknown username or wrong password");
      }
      const { token, expiresAt } = await deps.sessions.open({
        userId: user.id,
        tenantId: tenant.id,
        username: user.username,
        role: user.role,
      });
      deps.metrics.domain.sessionStarted(tenant.slug, user.role);
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
      requireSession(c);
      await deps.sessions.close(bearerDigest(c) as string);
      return c.body(null, 204);
    },
  );
  return app;
}

import { timingSafeEqual } from "node:crypto";
import { trace } from "@opentelemetry/api";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../platform/http/context.ts";
import { ApiError, forbidden, unauthorized } from "../platform/http/errors.ts";
import { type Session, type Sessions, tokenDigest } from "./sessions.ts";
import type { Role } from "./store.ts";

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer ([\w.~+/=-]{1,512})$/i.exec(header) : null;
  return match?.[1];
}

const digests = new WeakMap<Request, string | undefined>();

/** The bearer token's digest, computed once per request (the rate limiter and the session lookup use it). */
export function bearerDigest(c: Context): string | undefined {
  if (digests.has(c.req.raw)) return digests.get(c.req.raw);
  const token = bearerToken(c);
  const digest = token ? tokenDigest(token) : undefined;
  digests.set(c.req.raw, digest);
  return digest;
}

/** Loads the session when a bearer token is sent; a token of another tenant is treated as invalid. */
export function authenticate(sessions: Sessions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("session", undefined);
    if (c.req.header("authorization") !== undefined) {
      const digest = bearerDigest(c);
      const session = digest ? await sessions.find(digest) : undefined;
      if (!session || session.tenantId !== c.var.tenant.id) throw unauthorized("Invalid or expired token");
      c.set("session", session);
      c.set("logger", c.var.logger.with({ userId: session.userId }));
      trace.getActiveSpan()?.setAttribute("user.id", session.userId);
    }
    await next();
  };
}

/** The signed-in user, optionally required to hold one of `roles`. */
export function requireSession(c: Context<AppEnv>, ...roles: Role[]): Session {
  const session = c.var.session;
  if (!session) throw unauthorized();
  if (roles.length > 0 && !roles.includes(session.role)) {
    throw forbidden(`This action requires the role ${roles.join(" or ")}`);
  }
  return session;
}

/** Platform operations (creating tenants, ops endpoints) use ADMIN_TOKEN; without it they are disabled. */
export function requireAdminToken(adminToken: string | undefined): MiddlewareHandler<AppEnv> {
  const expected = adminToken ? Buffer.from(adminToken) : undefined;
  return async (c, next) => {
    if (!expected) throw new ApiError(403, "admin_disabled", "Set ADMIN_TOKEN to enable platform operations");
    const given = Buffer.from(bearerToken(c) ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw unauthorized("Admin token required");
    await next();
  };
}

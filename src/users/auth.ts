import { trace } from "@opentelemetry/api";
import type { Context, MiddlewareHandler } from "hono";
import { bearerToken } from "../platform/http/bearer.ts";
import { forbidden, unauthorized } from "../platform/http/errors.ts";
import { ATTR_USER_ID } from "../platform/telemetry/attributes.ts";
import { addRequestLogFields } from "../platform/telemetry/logger.ts";
import type { Tenant, TenantEnv } from "../tenants/middleware.ts";
import { type Session, type Sessions, tokenDigest } from "./sessions.ts";
import type { Role } from "./store.ts";

export type { Role, Session };

/** The Hono environment of tenant-scoped routes once the bearer session (if any) is loaded. */
export interface ScopedEnv {
  Variables: TenantEnv["Variables"] & { session: Session | undefined };
}

/** Who is asking: the request's tenant and, when a valid bearer token came with it, the signed-in user. */
export interface Caller {
  tenant: Tenant;
  session: Session | undefined;
}

export function callerOf(c: Context<ScopedEnv>): Caller {
  return { tenant: c.var.tenant, session: c.var.session };
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
export function authenticate(sessions: Sessions): MiddlewareHandler<ScopedEnv> {
  return async (c, next) => {
    c.set("session", undefined);
    if (c.req.header("authorization") !== undefined) {
      const digest = bearerDigest(c);
      const session = digest ? await sessions.find(digest) : undefined;
      if (!session || session.tenantId !== c.var.tenant.id) throw unauthorized("Invalid or expired token");
      c.set("session", session);
      addRequestLogFields({ userId: session.userId });
      trace.getActiveSpan()?.setAttribute(ATTR_USER_ID, session.userId);
    }
    await next();
  };
}

/** The signed-in user, optionally required to hold one of `roles` (401 when signed out, 403 for a role). */
export function requireSession(caller: Caller, ...roles: Role[]): Session {
  const session = caller.session;
  if (!session) throw unauthorized();
  if (roles.length > 0 && !roles.includes(session.role)) {
    throw forbidden(`This action requires the role ${roles.join(" or ")}`);
  }
  return session;
}

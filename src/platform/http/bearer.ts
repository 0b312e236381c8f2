import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError, unauthorized } from "./errors.ts";

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1 token68 characters), if any. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer ([\w.~+/=-]{1,512})$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Platform operations (creating tenants, ops endpoints) use ADMIN_TOKEN; without it they are disabled
 * (403 `admin_disabled`). Compared in constant time. hono's bearer-auth is not used: it answers a
 * malformed header with 400 and a plain-text body instead of the API's 401 envelope.
 */
export function requireAdminToken(adminToken: string | undefined): MiddlewareHandler {
  const expected = adminToken ? Buffer.from(adminToken) : undefined;
  return async (c, next) => {
    if (!expected) throw new ApiError(403, "admin_disabled", "Set ADMIN_TOKEN to enable platform operations");
    const given = Buffer.from(bearerToken(c) ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw unauthorized("Admin token required");
    await next();
  };
}

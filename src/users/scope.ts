import type { Context, MiddlewareHandler } from "hono";
import type { Cache } from "../platform/cache/cache.ts";
import { rateLimit } from "../platform/http/middleware/rate-limit.ts";
import { requireTenant } from "../tenants/middleware.ts";
import type { TenantService } from "../tenants/service.ts";
import { authenticate, bearerDigest, type ScopedEnv } from "./auth.ts";
import type { Sessions } from "./sessions.ts";

/**
 * The middleware every tenant-scoped route runs, in order: injected faults, tenant, rate limit (per
 * tenant and client: the bearer token if any, else the peer address), optional bearer session.
 */
export function tenantScoped(deps: {
  faults: MiddlewareHandler;
  tenants: Pick<TenantService, "byKey" | "byDomain">;
  cache: Cache;
  rateLimit: { max: number; windowSeconds: number };
  clientAddress: (c: Context) => string | undefined;
  sessions: Sessions;
}): MiddlewareHandler[] {
  const client = (c: Context<ScopedEnv>) => {
    const digest = bearerDigest(c);
    return `${c.var.tenant.id}:${digest ? `t:${digest.slice(0, 22)}` : `a:${deps.clientAddress(c) ?? "unknown"}`}`;
  };
  return [
    deps.faults,
    requireTenant(deps.tenants),
    rateLimit(deps.cache, deps.rateLimit, client),
    authenticate(deps.sessions),
  ] as MiddlewareHandler[];
}

import type { MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "../platform/http/context.ts";
import { rateLimit } from "../platform/http/middleware/rate-limit.ts";
import { requireTenant } from "../tenants/middleware.ts";
import { authenticate } from "./auth.ts";

/** Middleware every tenant-scoped route runs, in order: injected faults, tenant, rate limit, optional bearer session. */
export function tenantScoped(deps: AppDeps): MiddlewareHandler<AppEnv>[] {
  return [
    deps.faults.middleware,
    requireTenant(deps.tenants),
    rateLimit(deps.cache, deps.config.rateLimit, deps.clientAddress),
    authenticate(deps.sessions),
  ];
}

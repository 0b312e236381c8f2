import { trace } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import type { RequestVariables } from "../platform/http/context.ts";
import { ApiError, notFound } from "../platform/http/errors.ts";
import { addRequestLogFields } from "../platform/telemetry/logger.ts";
import type { Tenant } from "./store.ts";

export type { Tenant };

/** The Hono environment of tenant-scoped routes. */
export interface TenantEnv {
  Variables: RequestVariables & { tenant: Tenant };
}

const TENANT_KEY = /^[\w-]{1,64}$/;

/** Resolves the tenant from X-Tenant-Id (slug or id), else from the Host of a tenant's own domain. */
export function requireTenant(tenants: {
  byKey(key: string): Promise<Tenant | undefined>;
  byDomain(domain: string): Promise<Tenant | undefined>;
}): MiddlewareHandler<TenantEnv> {
  return async (c, next) => {
    const key = c.req.header("x-tenant-id");
    let tenant: Tenant | undefined;
    if (key !== undefined) {
      if (!TENANT_KEY.test(key))
        throw new ApiError(400, "invalid_tenant", "X-Tenant-Id must be a tenant slug or id");
      tenant = await tenants.byKey(key);
    } else {
      const host = c.req.header("host")?.replace(/:\d+$/, "");
      tenant = host ? await tenants.byDomain(host) : undefined;
      if (!tenant) throw new ApiError(400, "tenant_required", "X-Tenant-Id header is required");
    }
    if (!tenant) throw notFound("Tenant");
    c.set("tenant", tenant);
    addRequestLogFields({ tenantId: tenant.id });
    trace.getActiveSpan()?.setAttribute("tenant.id", tenant.id);
    await next();
  };
}

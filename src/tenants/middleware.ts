import { trace } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../platform/http/context.ts";
import { ApiError, notFound } from "../platform/http/errors.ts";
import type { TenantResolver } from "./service.ts";

const TENANT_KEY = /^[\w-]{1,64}$/;

/** Resolves the tenant from X-Tenant-Id (slug or id), else from the Host of a tenant's own domain. */
export function requireTenant(tenants: TenantResolver): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header("x-tenant-id");
    let tenant: Awaited<ReturnType<TenantResolver["byKey"]>>;
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
    c.set("logger", c.var.logger.with({ tenantId: tenant.id }));
    trace.getActiveSpan()?.setAttribute("tenant.id", tenant.id);
    await next();
  };
}

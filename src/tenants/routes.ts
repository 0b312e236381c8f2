import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requireAdminToken } from "../platform/http/bearer.ts";
import {
  bearerSecurity,
  bodyErrors,
  commonErrors,
  errorResponse,
  jsonBody,
  jsonResponse,
} from "../platform/http/openapi.ts";
import { createRouter } from "../platform/http/router.ts";
import { serializeUser, UserSchema } from "../users/schemas.ts";
import type { TenantEnv } from "./middleware.ts";
import { CreateTenant, TenantSchema } from "./schemas.ts";
import type { TenantService } from "./service.ts";

/**
 * Tenants are created by the platform operator (ADMIN_TOKEN), together with their first admin; every
 * client may read the tenant its request is scoped to.
 */
export function tenantRoutes(deps: {
  tenants: TenantService;
  adminToken: string | undefined;
  scoped: MiddlewareHandler[];
}) {
  const app = createRouter<TenantEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants",
      summary: "Create a tenant (school) and its first admin",
      security: bearerSecurity,
      middleware: [requireAdminToken(deps.adminToken)],
      request: jsonBody(CreateTenant),
      responses: {
        201: jsonResponse(z.object({ tenant: TenantSchema, admin: UserSchema }), "Created"),
        409: errorResponse("The slug or domain is taken"),
        ...commonErrors,
        ...bodyErrors,
      },
    }),
    async (c) => {
      const created = await deps.tenants.create(c.req.valid("json"));
      c.var.logger.info("Tenant {slug} created", { slug: created.tenant.slug, tenantId: created.tenant.id });
      return c.json({ tenant: created.tenant, admin: serializeUser(created.admin) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenant",
      summary: "The tenant named by X-Tenant-Id (or the Host)",
      middleware: deps.scoped,
      responses: { 200: jsonResponse(TenantSchema, "The tenant"), ...commonErrors },
    }),
    (c) => c.json(c.var.tenant, 200),
  );
  return app;
}

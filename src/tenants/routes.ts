import { createRoute, z } from "@hono/zod-openapi";
import { transaction } from "../platform/db/client.ts";
import type { AppDeps } from "../platform/http/context.ts";
import {
  bearerSecurity,
  commonErrors,
  errorResponse,
  jsonBody,
  jsonResponse,
  timestamp,
} from "../platform/http/openapi.ts";
import { createRouter } from "../platform/http/router.ts";
import { uuidv7 } from "../platform/ids.ts";
import { requireAdminToken } from "../users/auth.ts";
import { hashPassword } from "../users/passwords.ts";
import { NewUserFields, serializeUser, UserSchema } from "../users/routes.ts";
import { insertUser } from "../users/store.ts";
import { insertTenant, type Tenant } from "./store.ts";

export const TenantSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    domain: z.string().nullable(),
    created_at: timestamp,
  })
  .openapi("Tenant");

export const serializeTenant = (t: Tenant) => ({ ...t, created_at: t.created_at });

const CreateTenant = z.object({
  slug: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and dashes, 2-63 characters"),
  name: z.string().min(1).max(200),
  domain: z
    .string()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i)
    .max(253)
    .optional(),
  admin: NewUserFields.omit({ role: true }),
});

/** Tenants are created by the platform operator (ADMIN_TOKEN), together with their first admin user. */
export function tenantRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;

  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants",
      summary: "Create a tenant (school) and its first admin",
      security: bearerSecurity,
      middleware: [requireAdminToken(deps.config.adminToken)],
      request: jsonBody(CreateTenant),
      responses: {
        201: jsonResponse(z.object({ tenant: TenantSchema, admin: UserSchema }), "Created"),
        409: errorResponse("The slug or domain is taken"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const passwordHash = await hashPassword(input.admin.password, deps.config.passwordCost);
      const created = await transaction(sql, async (tx) => {
        const tenant = await insertTenant(tx, {
          id: uuidv7(),
          slug: input.slug,
          name: input.name,
          domain: input.domain?.toLowerCase() ?? null,
        });
        const admin = await insertUser(tx, {
          id: uuidv7(),
          tenant_id: tenant.id,
          username: input.admin.username,
          email: input.admin.email,
          display_name: input.admin.display_name ?? input.admin.username,
          role: "admin",
          password_hash: passwordHash,
        });
        return { tenant, admin };
      });
      c.var.logger.info("Tenant {slug} created", { slug: created.tenant.slug, tenantId: created.tenant.id });
      return c.json({ tenant: serializeTenant(created.tenant), admin: serializeUser(created.admin) }, 201);
    },
  );
  return app;
}

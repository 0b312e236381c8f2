import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import { NewUserFields } from "../users/schemas.ts";

export const TenantSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    domain: z.string().nullable(),
    created_at: timestamp,
  })
  .openapi("Tenant");

export const CreateTenant = z.object({
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

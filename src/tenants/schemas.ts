import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import { storedText } from "../platform/http/text.ts";
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
  name: storedText({ max: 200, nonBlank: true }),
  // A host name (stored lower-cased: DNS names are case-insensitive, RFC 4343).
  domain: z
    .string()
    .regex(/^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, "a host name such as school.example")
    .max(253)
    .optional(),
  admin: NewUserFields.omit({ role: true }),
});

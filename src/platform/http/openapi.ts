import { z } from "@hono/zod-openapi";

/** Schemas and helpers shared by the route modules; the OpenAPI document is generated from them. */
const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

export const IdParams = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export const timestamp = z.iso.datetime().openapi({ example: "2026-11-25T12:00:00.000Z" });

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export const errorResponse = (description: string) => jsonResponse(ErrorSchema, description);

/** The error responses every tenant-scoped route can give, merged into each route's own. */
export const commonErrors = {
  400: errorResponse(
    "Malformed request: a query or path value out of its schema, a body that is not JSON or nests deeper than JSON_MAX_DEPTH, a missing or invalid X-Tenant-Id",
  ),
  401: errorResponse("Missing, invalid or expired bearer token"),
  403: errorResponse("Signed in, but the role does not allow this"),
  404: errorResponse("Not found in this tenant"),
  422: errorResponse("The body failed validation; `fields` lists each problem"),
  429: errorResponse("Rate limit exceeded; see Retry-After"),
  503: errorResponse("A dependency (database or session store) is unavailable"),
} as const;

export const bearerSecurity = [{ bearer: [] }];

/**
 * The security schemes of the document (OpenAPI 3.1 §4.8.27). Operations require `bearer` only: a
 * session token on a tenant's routes, ADMIN_TOKEN on platform operations. `tenant` describes the
 * X-Tenant-Id header every tenant-scoped route reads. It is not a credential, so no operation lists
 * it as a requirement (a request without it is a 400, not a 401); it is declared so that the API
 * reference's Authorize can take the tenant once, and its page sends it with every request.
 */
export const securitySchemes = {
  bearer: {
    type: "http",
    scheme: "bearer",
    description:
      "A session token (`token` of POST /sessions) for a tenant's routes; ADMIN_TOKEN for platform operations (POST /tenants, /ops)",
  },
  tenant: {
    type: "apiKey",
    in: "header",
    name: "X-Tenant-Id",
    description:
      "The tenant (school) slug or id, read by every tenant-scoped route (signing in included); a tenant with its own domain may be named by the Host instead. Entered here, the API reference sends it with every request.",
  },
} as const;

/** What every operation with a request body can also answer. */
export const bodyErrors = {
  413: errorResponse("The body exceeds the size limit (BODY_LIMIT_BYTES)"),
} as const;

/**
 * A PATCH body over the fields of `fields`: each optional, at least one present, no other property.
 * Documented as enforced (`minProperties: 1`, `additionalProperties: false`), so a generated client or
 * a fuzzer cannot send a body that the document allows and the service refuses (an empty change).
 */
export function changesTo<T extends z.ZodRawShape>(fields: z.ZodObject<T>) {
  return fields
    .partial()
    .strict()
    .refine((changes) => Object.keys(changes).length > 0, "must contain at least one field to change")
    .openapi({ minProperties: 1 });
}

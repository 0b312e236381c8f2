import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import type { PlatformEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

/**
 * Every route module builds its router here so that schema violations look the same everywhere:
 * 422 for a body that parsed but broke the schema, 400 for bad path, query or header values.
 * (A body that is not JSON at all is hono's HTTPException 400, mapped in errors.ts.)
 */
export function createRouter<E extends Env = PlatformEnv>() {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (result.success) return;
      const fields = result.error.issues.map((issue) => ({
        path: [result.target, ...issue.path.map(String)].join("."),
        message: issue.message,
      }));
      const status = result.target === "json" ? 422 : 400;
      throw new ApiError(
        status,
        "validation_failed",
        `Invalid ${result.target}: ${fields[0]?.path} ${fields[0]?.message}`,
        {
          fields,
        },
      );
    },
  });
}

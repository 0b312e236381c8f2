import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CacheUnavailableError } from "../cache/cache.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import type { PlatformEnv } from "./context.ts";

/**
 * Every error a client sees, in one module: the ApiError that services throw for what the client caused
 * (or may retry), the mapping of everything else (hono's HTTPException, PostgreSQL SQLSTATEs, the cache
 * being down) to an ApiError, and the handler that renders `{ error: { code, message, requestId } }`.
 * Anything left unmapped is a bug: 500, logged with its stack.
 */

export interface FieldIssue {
  path: string;
  message: string;
}

/** An error the client caused or may retry; rendered as `{ error: { code, message, requestId } }`. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: { fields?: FieldIssue[]; headers?: Record<string, string> } | undefined;
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    details?: { fields?: FieldIssue[]; headers?: Record<string, string> },
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const badRequest = (message: string) => new ApiError(400, "bad_request", message);
export const unauthorized = (message = "Authentication required") =>
  new ApiError(401, "unauthorized", message);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

const HTTP_EXCEPTION_CODES: Record<number, string> = {
  400: "malformed_request",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** PostgreSQL error classes a client can cause (SQLSTATE), and how they answer. */
function fromDatabase(error: { code?: unknown; constraint_name?: unknown }): ApiError | undefined {
  if (isDatabaseUnavailable(error))
    return new ApiError(503, "database_unavailable", "The database is unavailable; retry later");
  switch (error.code) {
    case "23505":
      return new ApiError(
        409,
        "conflict",
        `Already exists (${String(error.constraint_name ?? "unique constraint")})`,
      );
    case "23503":
      return new ApiError(409, "conflict", "A referenced row does not exist");
    case "22P02":
    case "22001":
    case "22003":
      return new ApiError(400, "bad_request", "A value has the wrong form or size");
    default:
      return undefined;
  }
}

/** The ApiError an error answers as, or undefined for a bug (500). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[error.status] ?? "http_error";
    return new ApiError(error.status as ContentfulStatusCode, code, error.message || "Request rejected");
  }
  if (error instanceof CacheUnavailableError) {
    return new ApiError(503, "session_store_unavailable", "The session store is unavailable; retry later");
  }
  if (error && typeof error === "object") return fromDatabase(error);
  return undefined;
}

export function errorBody(c: Context<PlatformEnv>, code: string, message: string, extra: object = {}) {
  return { error: { code, message, requestId: c.var.requestId ?? "none", ...extra } };
}

/**
 * An error answered before the request body was read leaves bytes on the connection, and Node resets
 * such a connection: read what is left (bounded by the body limit). A body over the limit is not read;
 * the connection is closed instead.
 */
async function settleUnreadBody(c: Context<PlatformEnv>, status: number): Promise<void> {
  const request = c.req.raw;
  if (status === 413) {
    c.header("Connection", "close");
  } else if (request.body && !request.bodyUsed) {
    await request.arrayBuffer().catch(() => {});
  }
}

/** Every error becomes `{ error: { code, message, requestId } }`; only bugs and outages are 5xx. */
export async function handleError(error: Error, c: Context<PlatformEnv>): Promise<Response> {
  const known = toApiError(error);
  const span = trace.getActiveSpan();
  if (!known || known.status >= 500) {
    span?.recordException(error);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  await settleUnreadBody(c, known?.status ?? 500);
  if (!known) {
    c.var.logger?.error("Unhandled error: {error}", { error: error.message, stack: error.stack });
    return c.json(errorBody(c, "internal_error", "Internal server error"), 500);
  }
  if (known.status >= 500) c.var.logger?.warn("{code}: {error}", { code: known.code, error: error.message });
  for (const [name, value] of Object.entries(known.details?.headers ?? {})) c.header(name, value);
  const fields = known.details?.fields ? { fields: known.details.fields } : {};
  return c.json(errorBody(c, known.code, known.message, fields), known.status);
}

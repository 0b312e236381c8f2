import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CacheUnavailableError } from "../cache/cache.ts";
import { clientErrorFromDatabase } from "../db/sqlstate.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import type { PlatformEnv } from "./context.ts";

/**
 * Every error a client sees, in one module: the ApiError that services throw for what the client caused
 * (or may retry), the mapping of everything else (hono's HTTPException, PostgreSQL SQLSTATEs, the cache
 * being down) to an ApiError, and the handler that renders `{ error: { code, message, requestId } }`.
 * Anything left unmapped is a bug: 500, logged with its stack.
 */

interface FieldIssue {
  path: string;
  message: string;
}

export interface ApiErrorDetails {
  fields?: FieldIssue[];
  headers?: Record<string, string>;
  /** The request's body was not (and must not be) read, e.g. it is over the size limit: close the connection. */
  closeConnection?: boolean;
}

/** An error the client caused or may retry; rendered as `{ error: { code, message, requestId } }`. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: ApiErrorDetails | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, details?: ApiErrorDetails) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const unauthorized = (message = "Authentication required") =>
  new ApiError(401, "unauthorized", message);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

const HTTP_EXCEPTION_CODES: Record<number, string> = {
  400: "malformed_request",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** A database error: an outage (503, retry later), or what the client's data caused (SQLSTATE classes 22, 23). */
function fromDatabase(error: object): ApiError | undefined {
  if (isDatabaseUnavailable(error))
    return new ApiError(503, "database_unavailable", "The database is unavailable; retry later");
  const client = clientErrorFromDatabase(error);
  return client && new ApiError(client.status, client.code, client.message);
}

/** The ApiError an error answers as, or undefined for a bug (500). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[error.status] ?? "http_error";
    const details = error.status === 413 ? { closeConnection: true } : undefined;
    return new ApiError(
      error.status as ContentfulStatusCode,
      code,
      error.message || "Request rejected",
      details,
    );
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
 * such a connection: read what is left (bounded by the body limit). A body over the limit is not read
 * (`closeConnection`); the connection is closed instead.
 */
async function settleUnreadBody(c: Context<PlatformEnv>, closeConnection = false): Promise<void> {
  const request = c.req.raw;
  if (closeConnection) {
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
  await settleUnreadBody(c, known?.details?.closeConnection);
  if (!known) {
    c.var.logger?.error("Unhandled error: {error}", { error: error.message, stack: error.stack });
    return c.json(errorBody(c, "internal_error", "Internal server error"), 500);
  }
  if (known.status >= 500) c.var.logger?.warn("{code}: {error}", { code: known.code, error: error.message });
  for (const [name, value] of Object.entries(known.details?.headers ?? {})) c.header(name, value);
  const fields = known.details?.fields ? { fields: known.details.fields } : {};
  return c.json(errorBody(c, known.code, known.message, fields), known.status);
}

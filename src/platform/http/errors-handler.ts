import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CacheUnavailableError } from "../cache/cache.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

const HTTP_EXCEPTION_CODES: Record<number, string> = {
  400: "malformed_request",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** PostgreSQL error classes a client can cause (SQLSTATE), and how they answer. */
function fromDatabase(error: { code?: unknown; constraint_name?: unknown }): ApiError | undefined {
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
    case "ECONNREFUSED":
    case "CONNECT_TIMEOUT":
    case "CONNECTION_CLOSED":
    case "CONNECTION_ENDED":
    case "CONNECTION_DESTROYED":
    case "57P01":
    case "53300":
      return new ApiError(503, "database_unavailable", "The database is unavailable; retry later");
    default:
      return undefined;
  }
}

function toApiError(error: unknown): ApiError | undefined {
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

export function errorBody(c: Context<AppEnv>, code: string, message: string, extra: object = {}) {
  return { error: { code, message, requestId: c.var.requestId ?? "none", ...extra } };
}

/**
 * An error answered before the request body was read leaves bytes on the connection, and Node resets
 * such a connection: read what is left (bounded by the body limit). A body over the limit is not read;
 * the connection is closed instead.
 */
async function settleUnreadBody(c: Context<AppEnv>, status: number): Promise<void> {
  const request = c.req.raw;
  if (status === 413) {
    c.header("Connection", "close");
  } else if (request.body && !request.bodyUsed) {
    await request.arrayBuffer().catch(() => {});
  }
}

/** Every error becomes `{ error: { code, message, requestId } }`; only bugs and outages are 5xx. */
export async function handleError(error: Error, c: Context<AppEnv>): Promise<Response> {
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

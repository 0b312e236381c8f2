import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors.ts";

export interface BodyLimitOptions {
  /** Names the body in the error message ("Request body"). */
  what?: string;
  /**
   * The error to answer with (give it `closeConnection`) instead of 413 `payload_too_large` (RFC 9110 §15.5.14): for a sender that
   * retries only 5xx and would otherwise drop what it sent (Alertmanager's webhook, see src/app.ts).
   */
  onExceeded?: (c: Context, maxBytes: number) => ApiError;
}

/**
 * Whether the request can carry content at all. A GET or HEAD request never does (the Fetch standard's
 * Request has a null body for them), so the body middleware skips it without touching `c.req.raw.body`:
 * on Node that property makes @hono/node-server build a full `Request` (and an AbortController) from its
 * lazy one, which was ~3 % of the CPU of a GET. OPTIONS may carry content (RFC 9110 §9.3.7): checked.
 */
export function mayHaveBody(c: Context): boolean {
  const { method } = c.req;
  return method !== "GET" && method !== "HEAD";
}

/**
 * hono's body limit answering with the API's error envelope: 413 `payload_too_large` by default. The
 * rest of an oversized body is never read: the connection is closed instead (see errors.ts).
 */
export function limitBody(maxBytes: number, options: BodyLimitOptions = {}): MiddlewareHandler {
  const what = options.what ?? "Request body";
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      throw (
        options.onExceeded?.(c, maxBytes) ??
        new ApiError(413, "payload_too_large", `${what} exceeds ${maxBytes} bytes`, { closeConnection: true })
      );
    },
  });
  return (c, next) => (mayHaveBody(c) ? limit(c, next) : next());
}

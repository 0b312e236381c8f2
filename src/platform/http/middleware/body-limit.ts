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
 * hono's body limit answering with the API's error envelope: 413 `payload_too_large` by default. The
 * rest of an oversized body is never read: the connection is closed instead (see errors.ts).
 */
export function limitBody(maxBytes: number, options: BodyLimitOptions = {}): MiddlewareHandler {
  const what = options.what ?? "Request body";
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      throw (
        options.onExceeded?.(c, maxBytes) ??
        new ApiError(413, "payload_too_large", `${what} exceeds ${maxBytes} bytes`, { closeConnection: true })
      );
    },
  });
}

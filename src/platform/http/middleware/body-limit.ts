import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors.ts";

/**
 * hono's body limit answering with the API's error envelope: 413 `payload_too_large` (the connection is
 * then closed, see errors.ts). `what` names the body in the message.
 */
export function limitBody(maxBytes: number, what = "Request body"): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `${what} exceeds ${maxBytes} bytes`);
    },
  });
}

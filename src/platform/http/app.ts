import type { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { allowIndex, KNOWN_METHODS } from "./allow.ts";
import type { PlatformEnv } from "./context.ts";
import { errorBody, handleError } from "./errors.ts";
import { telemetry } from "./middleware/telemetry.ts";

/** The pieces every FediFlow HTTP app is made of; which routes go where is decided in src/app.ts. */

export const API_PREFIX = "/api/v1";

/**
 * From here on every request gets an id (hono's request-id: `X-Request-Id` when the client sent a safe
 * one of at most 128 characters, else a fresh UUID; echoed in the response) and is traced, measured and
 * logged (middleware/telemetry.ts). Routes registered before this call (probes, /metrics) are not.
 */
export function observeRequests(app: Hono<PlatformEnv>, metrics: Metrics, logger: Logger): void {
  app.use("*", requestId({ limitLength: 128 }), telemetry(metrics, logger));
}

/**
 * Call last: what no route answered (RFC 9110), from the app's own route table (allow.ts):
 * - a path no route has: 404, without `Allow`;
 * - OPTIONS on a known path: 204 with `Allow` (§9.3.7);
 * - a method this service does not know (`get`, `FOO`, where the runtime lets it through): 501 (§15.6.2);
 * - another method on a known path: 405 with `Allow`, the path's methods (§15.5.6, §10.2.1).
 * Every thrown error goes through errors.ts.
 */
export function answerUnmatched(app: Hono<PlatformEnv>): void {
  const index = allowIndex(app.routes);
  app.notFound((c) => {
    const { method, path } = c.req;
    const allowed = index.allowed(path);
    if (!allowed) return c.json(errorBody(c, "not_found", `No route for ${method} ${path}`), 404);
    const allow = allowed.join(", ");
    c.header("Allow", allow);
    if (method === "OPTIONS") return c.body(null, 204);
    if (!KNOWN_METHODS.has(method)) {
      return c.json(errorBody(c, "not_implemented", `The method ${method} is not implemented`), 501);
    }
    return c.json(errorBody(c, "method_not_allowed", `${method} is not allowed here; use ${allow}`), 405);
  });
  app.onError(handleError);
}

import type { Hono } from "hono";
import { requestId } from "hono/request-id";
import { PatternRouter } from "hono/router/pattern-router";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
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
 * Call last: unknown paths are 404, known paths with another method 405 with `Allow`, and every thrown
 * error goes through errors.ts.
 */
export function answerUnmatched(app: Hono<PlatformEnv>): void {
  const allowedMethods = methodIndex(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return c.json(
        errorBody(c, "method_not_allowed", `${c.req.method} is not allowed here; use ${allowed.join(", ")}`),
        405,
      );
    }
    return c.json(errorBody(c, "not_found", `No route for ${c.req.method} ${c.req.path}`), 404);
  });
  app.onError(handleError);
}

/** Which methods a path has routes for, so a wrong method gets 405 with Allow instead of 404. */
function methodIndex(routes: readonly { method: string; path: string }[]) {
  const router = new PatternRouter<string>();
  for (const { method, path } of routes) if (method !== "ALL") router.add("ALL", path, method);
  return (path: string): string[] => [...new Set(router.match("ALL", path)[0].map(([method]) => method))];
}

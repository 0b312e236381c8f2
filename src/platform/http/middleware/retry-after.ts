import type { MiddlewareHandler } from "hono";

/**
 * Adds `Retry-After: seconds` to every 503 that does not carry one (RFC 9110 §10.2.3: how long the
 * service expects to be unavailable): database and session-store outages, the health check, readiness
 * during shutdown. Clients and load balancers back off instead of retrying at once. Errors thrown by
 * later handlers are already turned into responses by the app's error handler when this runs. The
 * default, 2 s, is about how long the fault tests measured PostgreSQL and Redis to take to come back.
 */
export function retryAfterOn503(seconds = 2): MiddlewareHandler {
  const value = String(seconds);
  return async (c, next) => {
    await next();
    if (c.res.status === 503 && !c.res.headers.has("Retry-After")) c.res.headers.set("Retry-After", value);
  };
}

import type { Context, MiddlewareHandler } from "hono";
import { bearerDigest } from "../../../users/auth.ts";
import { type Cache, CacheUnavailableError } from "../../cache/cache.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

/**
 * Fixed-window limit per tenant and client (the bearer token if any, else the peer address). When the
 * cache is down the limiter lets requests through and says so in the log: it protects, it does not decide.
 */
export function rateLimit(
  cache: Cache,
  limit: { max: number; windowSeconds: number },
  clientAddress: (c: Context) => string | undefined,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const digest = bearerDigest(c);
    const client = digest ? `t:${digest.slice(0, 22)}` : `a:${clientAddress(c) ?? "unknown"}`;
    try {
      const { count, resetSeconds } = await cache.hit(`rl:${c.var.tenant.id}:${client}`, limit.windowSeconds);
      c.header("RateLimit-Limit", String(limit.max));
      c.header("RateLimit-Remaining", String(Math.max(0, limit.max - count)));
      c.header("RateLimit-Reset", String(resetSeconds));
      if (count > limit.max) {
        throw new ApiError(429, "rate_limited", `Too many requests; retry in ${resetSeconds} s`, {
          headers: { "Retry-After": String(resetSeconds) },
        });
      }
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) throw error;
      c.var.logger.warn("Rate limiter skipped: {error}", { error: error.message });
    }
    await next();
  };
}

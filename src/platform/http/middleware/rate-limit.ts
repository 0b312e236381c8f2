import type { Context, MiddlewareHandler } from "hono";
import { type Cache, CacheUnavailableError } from "../../cache/cache.ts";
import type { PlatformEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

/**
 * Fixed-window limit per client, as `key` names it (the caller decides: tenant and token or address).
 * When the cache is down the limiter lets requests through and says so in the log: it protects, it
 * does not decide. Headers: RateLimit-Limit/-Remaining/-Reset (IETF draft), Retry-After on 429.
 */
export function rateLimit<E extends PlatformEnv>(
  cache: Cache,
  limit: { max: number; windowSeconds: number },
  key: (c: Context<E>) => string,
): MiddlewareHandler<E> {
  return async (c, next) => {
    try {
      const { count, resetSeconds } = await cache.hit(`rl:${key(c)}`, limit.windowSeconds);
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

import { type Span, SpanKind, trace } from "@opentelemetry/api";
import { createClient } from "redis";
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "../telemetry/attributes.ts";
import type { Logger } from "../telemetry/logger.ts";
import { recordFailure } from "../telemetry/spans.ts";
import { type Cache, CacheUnavailableError } from "./cache.ts";

const tracer = trace.getTracer("fediflow-redis");

/**
 * Redis through node-redis. Commands fail fast instead of queueing while the connection is down
 * (`disableOfflineQueue`) and time out after `commandTimeoutMs`, so a Redis outage becomes a 503.
 */
export function createRedisCache(url: string, commandTimeoutMs: number, logger: Logger): Cache {
  const target = new URL(url);
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      connectTimeout: commandTimeoutMs,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000),
    },
  });
  let lastErrorLog = 0;
  client.on("error", (error: Error) => {
    // A dead Redis emits an error per reconnect attempt: log one line per 30 s.
    if (Date.now() - lastErrorLog > 30_000) {
      lastErrorLog = Date.now();
      logger.warn("Redis connection error: {error}", { error: error.message });
    }
  });
  // Connecting happens in the background so start-up and /health work while Redis is down.
  client.connect().catch(() => {});

  const attributes = {
    [ATTR_DB_SYSTEM_NAME]: "redis",
    [ATTR_SERVER_ADDRESS]: target.hostname,
    [ATTR_SERVER_PORT]: Number(target.port || 6379),
  };

  async function command<T>(name: string, run: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(
      name,
      { kind: SpanKind.CLIENT, attributes: { ...attributes, [ATTR_DB_OPERATION_NAME]: name } },
      async (span: Span) => {
        try {
          if (!client.isReady) throw new CacheUnavailableError("Redis is not connected");
          return await run();
        } catch (error) {
          const err = recordFailure(span, error);
          throw error instanceof CacheUnavailableError
            ? error
            : new CacheUnavailableError(`Redis ${name} failed: ${err.message}`);
        } finally {
          span.end();
        }
      },
    );
  }

  return {
    kind: "redis",
    get: (key) => command("GET", () => client.get(key)),
    set: (key, value, ttlSeconds) =>
      command("SET", async () => {
        await client.set(key, value, { expiration: { type: "EX", value: ttlSeconds } });
      }),
    del: (key) =>
      command("DEL", async () => {
        await client.del(key);
      }),
    hit: (key, windowSeconds) =>
      command("INCR", async () => {
        const [count, ttl] = (await client
          .multi()
          .incr(key)
          .expire(key, windowSeconds, "NX")
          .ttl(key)
          .exec()) as unknown as [number, number, number];
        return { count: Number(count), resetSeconds: Math.max(1, Number(ttl)) };
      }),
    ping: () =>
      command("PING", async () => {
        await client.ping();
      }),
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}

import { SpanKind, type SpanOptions, trace } from "@opentelemetry/api";
import { createClient } from "@redis/client";
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
 * (`disableOfflineQueue`), and every call is bounded by `commandTimeoutMs` here: node-redis' own
 * command timeout only covers the time a command waits to be written, so against a hung Redis (SIGSTOP,
 * a stalled host) a written command would wait forever. Redis answers one connection in order, so once
 * a command has gone unanswered past the timeout, later ones cannot be answered sooner: they fail at
 * once (not written, so nothing piles up) until a reply or a reconnect shows Redis is back.
 */
export function createRedisCache(url: string, commandTimeoutMs: number, logger: Logger): Cache {
  const target = new URL(url);
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      connectTimeout: commandTimeoutMs,
      // Capped at 1 s: Redis back after an outage is used within a second, not after a 5 s back-off.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  // A dead Redis emits an error per reconnect attempt; identical lines are collapsed by the log sink.
  client.on("error", (error: Error) => {
    logger.warn("Redis connection error: {error}", { error: error.message });
  });
  /** Since when a written command has gone unanswered past the timeout (undefined: Redis answers). */
  let stalledSince: number | undefined;
  client.on("ready", () => {
    stalledSince = undefined;
  });

  function bounded<T>(work: Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stalledSince ??= Date.now();
        reject(new CacheUnavailableError(`Redis did not answer within ${commandTimeoutMs} ms`));
      }, commandTimeoutMs);
      // Any outcome, even after the timeout, shows the connection moves again.
      const settle = () => {
        clearTimeout(timer);
        stalledSince = undefined;
      };
      work.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }
  // Connecting happens in the background so start-up and /health work while Redis is down.
  client.connect().catch(() => {});

  // One set of span options per command name, built once: a span per command is on every request's path.
  const spanOptions = new Map<string, SpanOptions>();
  const optionsOf = (name: string) => {
    let options = spanOptions.get(name);
    if (!options) {
      options = {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: "redis",
          [ATTR_SERVER_ADDRESS]: target.hostname,
          [ATTR_SERVER_PORT]: Number(target.port || 6379),
          [ATTR_DB_OPERATION_NAME]: name,
        },
      };
      spanOptions.set(name, options);
    }
    return options;
  };

  // The span is not made active: nothing runs under a command that could be its child.
  async function command<T>(name: string, run: () => Promise<T>): Promise<T> {
    const span = tracer.startSpan(name, optionsOf(name));
    try {
      if (!client.isReady) throw new CacheUnavailableError("Redis is not connected");
      if (stalledSince !== undefined)
        throw new CacheUnavailableError(`Redis has not answered a command for over ${commandTimeoutMs} ms`);
      return await bounded(run());
    } catch (error) {
      const err = recordFailure(span, error);
      throw error instanceof CacheUnavailableError
        ? error
        : new CacheUnavailableError(`Redis ${name} failed: ${err.message}`);
    } finally {
      span.end();
    }
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

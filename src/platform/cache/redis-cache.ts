import { SpanKind, type SpanOptions, trace } from "@opentelemetry/api";
import { createClient, defineScript } from "@redis/client";
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
 * One fixed window of the rate limiter in one command: count the hit, start the window's expiry if it
 * has none (the first hit, or a key whose EXPIRE was lost), answer `[count, seconds left]`. Atomic, as
 * the MULTI of INCR / EXPIRE NX / TTL it replaces, with one command and one reply instead of five
 * (EVALSHA; node-redis falls back to EVAL once when Redis does not know the script yet).
 */
const hitWindow = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`,
  parseCommand(parser, key: string, windowSeconds: number) {
    parser.pushKey(key);
    parser.push(String(windowSeconds));
  },
  transformReply: (reply: unknown) => reply as [number, number],
});

export interface RedisCacheOptions {
  /** Bound of one command (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs: number;
  /** A command that takes at least this long gets a span (REDIS_SLOW_COMMAND_MS). */
  slowCommandMs: number;
}

/**
 * Redis through node-redis. Commands fail fast instead of queueing while the connection is down
 * (`disableOfflineQueue`), and every call is bounded by `commandTimeoutMs` here, from before it is
 * queued until its reply. node-redis' own command timeout is not used: it only covers the time a command
 * waits to be written (against a hung Redis, SIGSTOP or a stalled host, a written command would wait
 * forever), and it arms an `AbortSignal.timeout()` per command whose timer fires even after the reply,
 * building a DOMException each time (~1 % of a read request's CPU, two commands per request). Redis
 * answers one connection in order, so once a command has gone unanswered past the timeout, later ones
 * cannot be answered sooner: they fail at once (not written, so nothing piles up) until a reply or a
 * reconnect shows Redis is back.
 */
export function createRedisCache(url: string, options: RedisCacheOptions, logger: Logger): Cache {
  const { commandTimeoutMs, slowCommandMs } = options;
  const target = new URL(url);
  const client = createClient({
    url,
    scripts: { hitWindow },
    disableOfflineQueue: true,
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

  // One set of span options per command name, built once.
  const spanOptions = new Map<string, SpanOptions>();
  const optionsOf = (name: string, startTime: number) => {
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
    return { ...options, startTime };
  };

  /**
   * Runs one command. Its span is recorded only when the command failed or took `slowCommandMs` or
   * more: created afterwards with the command's real start time, as a child of the span that issued it.
   * Outages and a slow Redis stay visible in traces; the common fast command (two on every request,
   * half of a request's spans) costs no span.
   */
  async function command<T>(name: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      if (!client.isReady) throw new CacheUnavailableError("Redis is not connected");
      if (stalledSince !== undefined)
        throw new CacheUnavailableError(`Redis has not answered a command for over ${commandTimeoutMs} ms`);
      const result = await bounded(run());
      const ended = performance.now();
      if (ended - started >= slowCommandMs) tracer.startSpan(name, optionsOf(name, started)).end(ended);
      return result;
    } catch (error) {
      const span = tracer.startSpan(name, optionsOf(name, started));
      const err = recordFailure(span, error);
      span.end();
      throw error instanceof CacheUnavailableError
        ? error
        : new CacheUnavailableError(`Redis ${name} failed: ${err.message}`);
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
      command("EVALSHA", async () => {
        const [count, ttl] = await client.hitWindow(key, windowSeconds);
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

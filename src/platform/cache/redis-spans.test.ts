/**
 * Which Redis commands become spans (redis-cache.ts): those that failed and those at least
 * REDIS_SLOW_COMMAND_MS slow, as CLIENT children of the span that issued them, with the command's real
 * start time; the common fast command makes none. Against the real Redis of npm test's set-up.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { pollUntil } from "../../../test/support/processes.ts";
import { appLogger } from "../telemetry/logger.ts";
import type { Cache } from "./cache.ts";
import { createRedisCache } from "./redis-cache.ts";

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const caches: Cache[] = [];
const url = process.env.TEST_REDIS_URL;

before(() => {
  assert.ok(url, "npm test's set-up provides Redis (TEST_REDIS_URL)");
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await provider.shutdown();
});

async function ready(slowCommandMs: number): Promise<Cache> {
  const cache = createRedisCache(url as string, { commandTimeoutMs: 1000, slowCommandMs }, appLogger("test"));
  caches.push(cache);
  await pollUntil(() => cache.ping().then(() => true), {
    timeoutMs: 5000,
    intervalMs: 100,
    description: "Redis",
  });
  return cache;
}

/** Runs `work` under a parent span; returns the spans it produced besides the parent. */
async function under(work: () => Promise<unknown>) {
  exporter.reset();
  const parent = provider.getTracer("test").startSpan("parent");
  await context.with(trace.setSpan(context.active(), parent), work).catch(() => {});
  parent.end();
  const spans = exporter.getFinishedSpans().filter((s) => s.name !== "parent");
  return { parent, spans };
}

test("a command faster than REDIS_SLOW_COMMAND_MS makes no span", async () => {
  const cache = await ready(60_000);
  const { spans } = await under(async () => {
    await cache.get(`test:spans:${process.pid}:fast`);
    await cache.hit(`test:spans:${process.pid}:fast-hit-${Math.random()}`, 60);
  });
  assert.deepEqual(spans, []);
});

test("a command at least REDIS_SLOW_COMMAND_MS slow is a CLIENT span under its caller, from its real start", async () => {
  const cache = await ready(0);
  const startedAt = Date.now();
  const { parent, spans } = await under(() => cache.get(`test:spans:${process.pid}:slow`));
  assert.equal(spans.length, 1);
  const [span] = spans;
  assert.equal(span?.name, "GET");
  assert.equal(span?.kind, SpanKind.CLIENT);
  assert.equal(span?.parentSpanContext?.spanId, parent.spanContext().spanId);
  assert.equal(span?.attributes["db.system.name"], "redis");
  assert.equal(span?.attributes["db.operation.name"], "GET");
  const start = (span?.startTime[0] ?? 0) * 1000 + (span?.startTime[1] ?? 0) / 1e6;
  assert.ok(start >= startedAt - 5, "the span starts when the command started, not when it ended");
});

test("a failed command is an ERROR span, however fast it failed", async () => {
  const cache = createRedisCache(
    "redis://127.0.0.1:1",
    { commandTimeoutMs: 200, slowCommandMs: 60_000 },
    appLogger("test"),
  );
  caches.push(cache);
  const { spans } = await under(() => cache.get("x"));
  assert.equal(spans.length, 1);
  assert.equal(spans[0]?.status.code, SpanStatusCode.ERROR);
});

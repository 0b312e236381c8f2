import assert from "node:assert/strict";
import { test } from "node:test";
import type { LogLevel, LogRecord } from "@logtape/logtape";
import { throttleRepeats } from "./log-throttle.ts";

function record(
  level: LogLevel,
  template: string,
  value: unknown,
  properties: Record<string, unknown> = {},
): LogRecord {
  return {
    category: ["fediflow", "http"],
    level,
    message: [template, value, ""],
    rawMessage: `${template}{value}`,
    properties,
    timestamp: 0,
  } as LogRecord;
}

test("identical warnings within the window are written once; the next one after it says how many were dropped", () => {
  let clock = 0;
  const written: LogRecord[] = [];
  const sink = throttleRepeats(
    (r) => written.push(r),
    10_000,
    () => clock,
  );
  for (let i = 0; i < 1000; i++)
    sink(record("warning", "Rate limiter skipped: ", "Redis is not connected", { requestId: `r${i}` }));
  assert.equal(written.length, 1);
  clock += 10_000;
  sink(record("warning", "Rate limiter skipped: ", "Redis is not connected"));
  assert.equal(written.length, 2);
  assert.equal(written[1]?.properties.suppressed, 999);
});

test("distinct messages, levels and categories pass; info lines are never throttled", () => {
  const written: LogRecord[] = [];
  const sink = throttleRepeats(
    (r) => written.push(r),
    10_000,
    () => 0,
  );
  sink(record("warning", "failed: ", "a"));
  sink(record("warning", "failed: ", "b"));
  sink(record("error", "failed: ", "a"));
  sink({ ...record("warning", "failed: ", "a"), category: ["fediflow", "redis"] });
  sink(record("warning", "failed: ", new Error("one")));
  sink(record("warning", "failed: ", new Error("two")));
  for (let i = 0; i < 5; i++) sink(record("info", "request completed ", i === 0 ? "same" : "same"));
  assert.equal(written.length, 6 + 5);
});

test("memory stays bounded under many distinct lines", () => {
  const written: LogRecord[] = [];
  const sink = throttleRepeats(
    (r) => written.push(r),
    10_000,
    () => 0,
  );
  for (let i = 0; i < 5000; i++) sink(record("warning", "distinct ", i));
  assert.equal(written.length, 5000);
});

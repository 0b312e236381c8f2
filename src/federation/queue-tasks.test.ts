import assert from "node:assert/strict";
import { test } from "node:test";
import { durationMs } from "./durations.ts";
import { describe, describeError } from "./queue-tasks.ts";

test("outbox tasks are keyed by their inbox's host, inbox tasks by the activity's actor", () => {
  assert.deepEqual(describe({ type: "outbox", inbox: "https://a.example:8443/inbox" }), {
    kind: "outbox",
    host: "a.example:8443",
  });
  assert.deepEqual(describe({ type: "inbox", activity: { actor: "https://b.example/users/1" } }), {
    kind: "inbox",
    host: "b.example",
  });
  assert.deepEqual(describe({ type: "inbox", activity: { actor: { id: "https://c.example/u" } } }), {
    kind: "inbox",
    host: "c.example",
  });
  assert.deepEqual(describe({ type: "fediflow.publish", activityId: "x" }), {
    kind: "fediflow.publish",
    host: null,
  });
  assert.deepEqual(describe({ type: "outbox", inbox: "not a url" }), { kind: "outbox", host: null });
  assert.deepEqual(describe({}), { kind: "other", host: null });
});

test("durations add up every field; months and years are approximated; garbage is 0", () => {
  assert.equal(durationMs({ seconds: 1, milliseconds: 500 }), 1500);
  assert.equal(durationMs({ hours: 1, minutes: 2 }), 3_720_000);
  assert.equal(durationMs({ days: 1, weeks: 1 }), 8 * 86_400_000);
  assert.equal(durationMs({ months: 1 }), 30 * 86_400_000);
  assert.equal(durationMs({ years: 1 }), 365 * 86_400_000);
  assert.equal(durationMs({ microseconds: 2000, nanoseconds: 1_000_000 }), 3);
  assert.equal(durationMs({ seconds: -5 }), 0, "never negative");
  assert.equal(durationMs({ seconds: Number.NaN }), 0);
  assert.equal(durationMs({}), 0);
});

test("error descriptions carry the name and are bounded to 500 characters", () => {
  assert.equal(describeError(new TypeError("boom")), "TypeError: boom");
  assert.equal(describeError("plain"), "plain");
  assert.equal(describeError(new Error("x".repeat(1000))).length, 500);
});

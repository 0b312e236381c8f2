import assert from "node:assert/strict";
import { test } from "node:test";
import { durationMs } from "./durations.ts";
import { describe, describeError, orderingKeyOf } from "./queue-tasks.ts";

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

test("Fedify's fan-outs are ordered per object, its deliveries per object and inbox; a given key wins", () => {
  const note = "https://school.example/ap/content/1";
  const create = { type: "Create", object: { id: note, type: "Note" } };
  const del = { type: "Delete", object: note };
  const inbox = "https://a.example/users/7/inbox";
  assert.equal(orderingKeyOf("fanout", { activity: create }, undefined), note);
  assert.equal(orderingKeyOf("outbox", { activity: create, inbox }, undefined), `${note}\n${inbox}`);
  assert.equal(
    orderingKeyOf("outbox", { activity: del, inbox }, undefined),
    `${note}\n${inbox}`,
    "a Delete (object by reference) queues behind the Create (object embedded) to the same inbox",
  );
  assert.notEqual(
    orderingKeyOf("outbox", { activity: create, inbox }, undefined),
    orderingKeyOf("outbox", { activity: create, inbox: "https://a.example/users/8/inbox" }, undefined),
    "two inboxes of one host do not wait for each other",
  );
  assert.equal(orderingKeyOf("outbox", { activity: create, inbox }, { orderingKey: "k" }), "k");
  assert.equal(orderingKeyOf("fediflow.publish", { activityId: "x" }, { orderingKey: "p" }), "p");
  // Nothing to order by: no key rather than one key shared by unrelated messages.
  assert.equal(orderingKeyOf("inbox", { activity: create }, undefined), null);
  assert.equal(orderingKeyOf("outbox", { activity: { type: "Like" }, inbox }, undefined), null);
  assert.equal(orderingKeyOf("outbox", { activity: create }, undefined), null);
  assert.equal(orderingKeyOf("outbox", { activity: { object: [note] }, inbox }, undefined), null);
});

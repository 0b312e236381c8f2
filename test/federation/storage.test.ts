import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { createDeliveryPolicy } from "../../src/federation/delivery.ts";
import { createInstanceHealth } from "../../src/federation/instances.ts";
import { PostgresKvStore } from "../../src/federation/kv-store.ts";
import {
  PostgresMessageQueue,
  type QueuePolicy,
  type TaskPolicy,
} from "../../src/federation/message-queue.ts";
import type { Database } from "../../src/platform/db/client.ts";
import { appLogger } from "../../src/platform/telemetry/logger.ts";
import { createMetrics } from "../../src/platform/telemetry/metrics.ts";
import { connectMigratedTestDatabase } from "../support/migrated-database.ts";

// Fedify's KvStore and MessageQueue on the real database (PostgreSQL or embedded PGlite), in process.
let db: Database;
let close: () => Promise<void>;

before(async () => {
  ({ db, close } = await connectMigratedTestDatabase());
});

after(() => close?.());

const tuning = { concurrency: 4, perHost: 2, pollMs: 50, leaseMs: 5000, taskTimeoutMs: 2000 };

test("the KV store gets, sets with TTL, compares-and-swaps and lists by prefix", async () => {
  const kv = new PostgresKvStore(db.sql);
  await kv.set(["a", "1"], { n: 1 });
  await kv.set(["a", "2"], "two");
  await kv.set(["ab"], true);
  await kv.set(["a", "gone"], 1, { ttl: { milliseconds: 1 } as never });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(await kv.get(["a", "1"]), { n: 1 });
  assert.equal(await kv.get(["a", "gone"]), undefined, "expired");
  const listed: unknown[] = [];
  for await (const entry of kv.list(["a"])) listed.push(entry);
  assert.deepEqual(listed, [
    { key: ["a", "1"], value: { n: 1 } },
    { key: ["a", "2"], value: "two" },
  ]);
  assert.equal(await kv.cas(["a", "2"], "zwei", "three"), false);
  assert.equal(await kv.cas(["a", "2"], "two", "three"), true);
  assert.equal(await kv.get(["a", "2"]), "three");
  assert.equal(await kv.cas(["new"], undefined, 1), true);
  assert.equal(await kv.cas(["new"], undefined, 2), false, "present: no insert");
  assert.equal(await kv.cas(["a", "gone"], undefined, "back"), true, "expired counts as absent");
  await kv.delete(["ab"]);
  assert.equal(await kv.get(["ab"]), undefined);
  assert.ok((await kv.sweep()) >= 0);
});

test("the queue delivers each task once, in ordering-key order, retries failures and dead-letters", async () => {
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  const decisions: string[] = [];
  const policy: TaskPolicy = {
    before: async (task) => (task.message.refuse ? "refused" : undefined),
    after: async (task, error) => {
      if (error === undefined) return undefined;
      decisions.push(`${String(task.message.n)}#${task.attempts}`);
      return task.attempts >= 3 ? { dead: "max_attempts" } : { retryInMs: 20 };
    },
  };
  queue.setPolicy(policy);
  const seen: number[] = [];
  const abort = new AbortController();
  const listening = queue.listen(
    async (message) => {
      const m = message as { n: number; fail?: boolean };
      if (m.fail) throw new Error("boom");
      seen.push(m.n);
    },
    { signal: abort.signal },
  );
  await queue.enqueueMany(
    [1, 2, 3, 4, 5].map((n) => ({ type: "test", n })),
    { orderingKey: "k" },
  );
  await queue.enqueue({ type: "test", n: 6, fail: true });
  await queue.enqueue({ type: "test", n: 7, refuse: true });
  await queue.enqueue({ type: "test", n: 8 }, { delay: { milliseconds: 300 } as never });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (seen.length < 6 || (await queue.getDepth()).queued > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  abort.abort();
  await listening;
  assert.deepEqual(
    seen.filter((n) => n <= 5),
    [1, 2, 3, 4, 5],
    "same ordering key: one at a time, in order",
  );
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 8]);
  assert.deepEqual(decisions, ["6#1", "6#2", "6#3"], "retried, then given up");
  const dead = await db.sql<{ reason: string; n: number }[]>`
    select reason, (message->>'n')::int as n from federation_dead_letters order by n`;
  assert.deepEqual(
    dead.map((d) => [d.n, d.reason]),
    [
      [6, "max_attempts"],
      [7, "refused"],
    ],
  );
  assert.deepEqual(await queue.getDepth(), { queued: 0, ready: 0, delayed: 0 });
});

test("a fan-out's shared activity and keys are stored once, and each task still gets its whole message", async () => {
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  queue.setPolicy({
    before: async () => undefined,
    after: async (_task, error) => (error === undefined ? undefined : { dead: "refused_by_test" }),
  });
  // As Fedify builds a fan-out's outbox messages: the same activity and keys objects in each.
  const activity = { type: "Create", object: { content: "shared \u0000 text" } };
  const keys = [{ keyId: "https://example.com/users/a#main-key", privateKey: { kty: "RSA", n: "AQAB" } }];
  const messages = [1, 2, 3, 4, 5].map((n) => ({
    type: "test",
    n,
    inbox: `https://h${n}.example/inbox`,
    activity,
    keys,
  }));
  await queue.enqueueMany(messages);
  const stored = await db.sql<{ payloads: number; tasks: number; own: number; payload_id: string }[]>`
    select count(distinct payload_id)::int as payloads, count(*)::int as tasks,
           count(*) filter (where message ? 'activity' or message ? 'keys')::int as own, min(payload_id) as payload_id
    from federation_queue where message->>'type' = 'test'`;
  assert.deepEqual(
    stored.map(({ payload_id: _, ...r }) => r),
    [{ payloads: 1, tasks: 5, own: 0 }],
  );

  const seen = new Map<number, Record<string, unknown>>();
  const abort = new AbortController();
  const listening = queue.listen(
    async (message) => {
      const m = message as { n: number; activity: typeof activity };
      seen.set(m.n, structuredClone(m));
      m.activity.object.content = "changed by a handler"; // must not reach another task's message
      if (m.n === 3) throw new Error("refused");
    },
    { signal: abort.signal },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (seen.size < 5 || (await queue.getDepth()).queued > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  abort.abort();
  await listening;
  const stable = { type: "Create", object: { content: "shared \ufffd text" } };
  for (const n of [1, 2, 3, 4, 5]) {
    assert.deepEqual(seen.get(n), {
      type: "test",
      n,
      inbox: `https://h${n}.example/inbox`,
      activity: stable,
      keys,
    });
  }
  const [dead] = await db.sql<{ message: Record<string, unknown> }[]>`
    select message from federation_dead_letters where message->>'type' = 'test' and message->>'n' = '3'`;
  assert.deepEqual(dead?.message, {
    type: "test",
    n: 3,
    inbox: "https://h3.example/inbox",
    activity: stable,
    keys,
  });
  const [left] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from federation_queue_payloads where id = ${stored[0]?.payload_id as string}`;
  assert.equal(left?.n, 0, "the payload is deleted with its last task");
});

test("a payload left without tasks (a worker crashed between the two deletes) goes at the next worker start", async () => {
  const [orphan] = await db.sql<{ id: string }[]>`
    insert into federation_queue_payloads (body) values ('{"activity": {}}') returning id`;
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  const abort = new AbortController();
  const listening = queue.listen(async () => {}, { signal: abort.signal });
  const deadline = Date.now() + 5000;
  let left = 1;
  while (Date.now() < deadline && left > 0) {
    [{ n: left } = { n: 0 }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from federation_queue_payloads where id = ${orphan?.id as string}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  abort.abort();
  await listening;
  assert.equal(left, 0);
});

test("rolling back below migration 015 puts each queued task's shared fields back into its message", async () => {
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  const activity = { type: "Create", id: "https://example.com/rollback" };
  const keys = [{ keyId: "https://example.com/users/a#main-key" }];
  await queue.enqueueMany([1, 2, 3].map((n) => ({ type: "rollback-test", n, activity, keys })));
  const rollback = await readFile(
    new URL("../../src/platform/db/rollbacks/015_federation_queue_payloads.sql", import.meta.url),
    "utf8",
  );
  await db.sql.begin((tx) => tx.unsafe(rollback));
  // What a release before 015 reads: the message column alone.
  const rows = await db.sql<{ message: Record<string, unknown>; payload_id: string | null }[]>`
    delete from federation_queue where message->>'type' = 'rollback-test' returning message, payload_id`;
  assert.deepEqual(
    rows
      .map((r) => [r.message, r.payload_id])
      .sort((a, b) => Number((a[0] as { n: number }).n) - Number((b[0] as { n: number }).n)),
    [1, 2, 3].map((n) => [{ type: "rollback-test", n, activity, keys }, null]),
  );
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from federation_queue_payloads`;
  assert.equal(left?.n, 0);
});

test("a queued remote activity holding U+0000 or an unpaired surrogate is stored, with U+FFFD", async () => {
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  const activity = { type: "Create", object: { content: "<p>nul\u0000here \ud800</p>" } };
  await queue.enqueue({ type: "inbox", id: "nul-test", activity });
  const [row] = await db.sql<{ message: { activity: typeof activity } }[]>`
    delete from federation_queue where message->>'id' = 'nul-test' returning message`;
  assert.equal(row?.message.activity.object.content, "<p>nul\ufffdhere \ufffd</p>");
});

test("deliveries to private or loopback addresses are refused unless allowed", async () => {
  const config = loadConfig({}).federation;
  const metrics = createMetrics({ maxTenants: 10 });
  const instances = createInstanceHealth(db.sql, { threshold: 3, recoveryMs: 100, maxMs: 1000 });
  const policy = createDeliveryPolicy({ config, instances, metrics, logger: appLogger("test") });
  const task = (inbox: string) => ({
    id: "1",
    kind: "outbox",
    host: new URL(inbox).host,
    message: { type: "outbox", inbox, activityType: "https://www.w3.org/ns/activitystreams#Create" },
    attempts: 1,
    created_at: new Date(),
    probe: false,
  });
  for (const inbox of [
    "http://127.0.0.1:9/inbox",
    "http://10.1.2.3/inbox",
    "http://[::1]/inbox",
    "http://localhost/i",
  ]) {
    assert.equal(await policy.before(task(inbox)), "private_address", inbox);
  }
  assert.equal(await policy.before(task("http://93.184.215.14/inbox")), undefined, "a public address passes");
  const allowed = createDeliveryPolicy({
    config: { ...config, allowPrivateAddresses: true },
    instances,
    metrics,
    logger: appLogger("test"),
  });
  assert.equal(await allowed.before(task("http://127.0.0.1:9/inbox")), undefined);
  const text = await metrics.render(false);
  assert.match(
    text,
    /federation_delivery_failures_total\{instance="127\.0\.0\.1:9",reason="private_address"\} 1/,
  );
});

test("the circuit opens after the threshold, reports each transition once and closes on success", async () => {
  const instances = createInstanceHealth(db.sql, { threshold: 3, recoveryMs: 100, maxMs: 1000 });
  const host = "circuit.example:443";
  const changes = [];
  for (let i = 0; i < 5; i++) changes.push(await instances.recordFailure(host, "ECONNREFUSED"));
  assert.deepEqual(changes, [undefined, undefined, "opened", undefined, undefined]);
  const open = await instances.find(host);
  assert.equal(open?.circuit, "open");
  assert.equal(open?.consecutive_failures, 5);
  assert.ok(open?.next_attempt_at);
  assert.deepEqual(await instances.summary(), { healthy: 0, total: 1 });
  const closing = await Promise.all([instances.recordSuccess(host), instances.recordSuccess(host)]);
  assert.deepEqual(closing.filter(Boolean), ["closed"], "one transition, whatever the concurrency");
  assert.equal((await instances.find(host))?.circuit, "closed");
  assert.deepEqual(await instances.summary(), { healthy: 1, total: 1 });
});

test("one flooding host cannot starve another: tasks are claimed per host, at most perHost at a time", async () => {
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  queue.setPolicy({ before: async () => undefined, after: async () => undefined });
  const flood = Array.from({ length: 200 }, (_, n) => ({
    type: "outbox",
    inbox: `https://flood.example/inbox/${n}`,
    n,
  }));
  await queue.enqueueMany(flood);
  await queue.enqueue({ type: "outbox", inbox: "https://quiet.example/inbox", n: -1 });
  const handled: number[] = [];
  let concurrentFlood = 0;
  let maxConcurrentFlood = 0;
  const abort = new AbortController();
  const listening = queue.listen(
    async (message) => {
      const { n } = message as { n: number };
      if (n >= 0) {
        concurrentFlood++;
        maxConcurrentFlood = Math.max(maxConcurrentFlood, concurrentFlood);
        await new Promise((resolve) => setTimeout(resolve, 20));
        concurrentFlood--;
      }
      handled.push(n);
      if (handled.length >= 20) abort.abort();
    },
    { signal: abort.signal },
  );
  await listening;
  await queue.drain(2000);
  assert.ok(
    handled.indexOf(-1) >= 0 && handled.indexOf(-1) < 5,
    `quiet host served early (${handled.indexOf(-1)})`,
  );
  assert.ok(maxConcurrentFlood <= tuning.perHost, `per-host cap held (${maxConcurrentFlood})`);
  await db.sql`delete from federation_queue`;
});

// A worker that dies (issue 14): a short lease, so renewals and expiries happen within a test.
const leaseTuning = { concurrency: 4, perHost: 2, pollMs: 50, leaseMs: 600, taskTimeoutMs: 5000 };

function recordingPolicy(reclaims: number[]): QueuePolicy {
  return {
    before: async () => undefined,
    after: async () => undefined,
    reclaimed: (count) => reclaims.push(count),
  };
}

/** Runs the queue until `done` says so (bounded), then drains it. */
async function runUntil(
  queue: PostgresMessageQueue,
  handler: (message: Record<string, unknown>) => Promise<void>,
  done: () => boolean,
): Promise<void> {
  const abort = new AbortController();
  const deadline = Date.now() + 15_000;
  const check = setInterval(() => {
    if (done() || Date.now() > deadline) abort.abort();
  }, 20);
  await queue.listen((message) => handler(message as Record<string, unknown>), { signal: abort.signal });
  clearInterval(check);
  await queue.drain(2000);
}

test("tasks behind a dead lease in their ordering key wait; the host's other tasks flow at once", async () => {
  const queue = new PostgresMessageQueue(db.sql, leaseTuning, appLogger("test"), db.kind === "postgresql");
  const reclaims: number[] = [];
  queue.setPolicy(recordingPolicy(reclaims));
  // More blocked tasks than the per-host window (perHost * 4 = 8) ahead of the independent ones.
  await queue.enqueueMany(
    Array.from({ length: 20 }, (_, n) => ({
      type: "outbox",
      inbox: `https://busy.example/inbox/${n}`,
      key: "a",
      n,
    })),
    { orderingKey: "lesson-a\nhttps://busy.example" },
  );
  for (let n = 0; n < 5; n++)
    await queue.enqueue(
      { type: "outbox", inbox: `https://busy.example/inbox/${n}`, key: `b${n}`, n },
      { orderingKey: `lesson-b${n}\nhttps://busy.example` },
    );
  // A worker died holding the head of key "a": its lease is live for another minute.
  await db.sql`update federation_queue set locked_until = now() + interval '1 minute', attempts = 1
    where id = (select min(id) from federation_queue)`;
  const handled: string[] = [];
  await runUntil(
    queue,
    async (m) => {
      handled.push(String(m.key));
    },
    () => handled.length >= 5,
  );
  assert.deepEqual(handled.sort(), ["b0", "b1", "b2", "b3", "b4"], "independent keys delivered, key a held");
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from federation_queue`;
  assert.equal(left?.n, 20, "the dead lease and the 19 tasks behind it wait");
  assert.deepEqual(reclaims, [], "nothing reclaimed while the lease is live");

  // The lease expires: the task is reclaimed (counted), then the rest of key a follows in order.
  await db.sql`update federation_queue set locked_until = now() - interval '1 second' where locked_until is not null`;
  const order: number[] = [];
  await runUntil(
    queue,
    async (m) => {
      order.push(Number(m.n));
    },
    () => order.length >= 20,
  );
  assert.deepEqual(
    order,
    Array.from({ length: 20 }, (_, n) => n),
    "key a in order",
  );
  assert.deepEqual(reclaims, [1], "the expired lease was reported as reclaimed");
  await db.sql`delete from federation_queue`;
});

test("a task running longer than its lease keeps it: the lease is renewed, no one else takes the task", async () => {
  const queue = new PostgresMessageQueue(db.sql, leaseTuning, appLogger("test"), db.kind === "postgresql");
  const other = new PostgresMessageQueue(db.sql, leaseTuning, appLogger("test"), db.kind === "postgresql");
  const reclaims: number[] = [];
  queue.setPolicy(recordingPolicy(reclaims));
  other.setPolicy(recordingPolicy(reclaims));
  await queue.enqueue({ type: "outbox", inbox: "https://slow.example/inbox", n: 1 });
  let runs = 0;
  const slow = async () => {
    runs++;
    // Three leases long.
    await new Promise((resolve) => setTimeout(resolve, leaseTuning.leaseMs * 3));
  };
  let finished = false;
  const handler = async () => {
    await slow();
    finished = true;
  };
  // Two workers polling all along: whichever takes the task, the other must never get it.
  await Promise.all([runUntil(queue, handler, () => finished), runUntil(other, handler, () => finished)]);
  assert.equal(runs, 1, "the task ran once");
  assert.deepEqual(reclaims, [], "its lease never expired");
  await db.sql`delete from federation_queue`;
});

/**
 * The delivery queue when a worker dies (issue 14): tasks queued behind a dead lease in their ordering
 * key wait, the host's other tasks do not; a running task's lease is renewed, so a lease can be short;
 * a task claimed after its lease expired is reported as reclaimed (a possible duplicate).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectDatabase, type Database } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { PostgresMessageQueue, type QueuePolicy } from "../../src/federation/message-queue.ts";
import { appLogger } from "../../src/telemetry/logger.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
let db: Database;

before(async () => {
  database = await createTestDatabase();
  db = await connectDatabase({
    url: database.env.DATABASE_URL,
    poolMax: database.env.DATABASE_URL ? 4 : 1,
    dataDir: database.env.DATA_DIR ?? "./data",
    queryTimeoutMs: 5000,
  });
  await migrate(db.sql);
});

after(async () => {
  await db?.close();
  await database?.drop();
});

const tuning = { concurrency: 4, perHost: 2, pollMs: 50, leaseMs: 600, taskTimeoutMs: 5000 };

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
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
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
  const queue = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  const other = new PostgresMessageQueue(db.sql, tuning, appLogger("test"), db.kind === "postgresql");
  const reclaims: number[] = [];
  queue.setPolicy(recordingPolicy(reclaims));
  other.setPolicy(recordingPolicy(reclaims));
  await queue.enqueue({ type: "outbox", inbox: "https://slow.example/inbox", n: 1 });
  let runs = 0;
  const slow = async () => {
    runs++;
    // Three leases long.
    await new Promise((resolve) => setTimeout(resolve, tuning.leaseMs * 3));
  };
  let finished = false;
  await Promise.all([
    runUntil(
      queue,
      async () => {
        await slow();
        finished = true;
      },
      () => true,
    ),
    // A second worker polling all along: it must never get the task.
    runUntil(other, slow, () => finished),
  ]);
  assert.equal(runs, 1, "the task ran once");
  assert.deepEqual(reclaims, [], "its lease never expired");
  await db.sql`delete from federation_queue`;
});

/**
 * The server's own bounds on a pool session (client.ts serverTimeouts), against a real PostgreSQL:
 * what the client stopped waiting for does not go on holding a backend, its locks or a pool slot.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../../test/support/database.ts";
import { pollUntil } from "../../../test/support/processes.ts";
import { connectDatabase, type Database } from "./client.ts";
import { DatabaseTimeoutError, isDatabaseUnavailable } from "./unavailable.ts";

const QUERY_TIMEOUT_MS = 300;
let database: TestDatabase;
let db: Database;

before(async () => {
  database = await createTestDatabase();
  assert.ok(database.env.DATABASE_URL, "npm test's set-up provides PostgreSQL (TEST_DATABASE_URL)");
  db = await connectDatabase({
    url: database.env.DATABASE_URL,
    poolMax: 2,
    dataDir: "./data",
    queryTimeoutMs: QUERY_TIMEOUT_MS,
  });
});
after(async () => {
  await db.close();
  await database.drop();
});

const failure = (promise: PromiseLike<unknown>) =>
  Promise.resolve(promise).then(
    () => assert.fail("expected a rejection"),
    (error: unknown) => error,
  );

test("every session of the pool carries statement_timeout and idle_in_transaction_session_timeout", async () => {
  const [row] = await db.sql<{ statement: string; idle: string }[]>`
    select current_setting('statement_timeout') as statement,
           current_setting('idle_in_transaction_session_timeout') as idle`;
  assert.deepEqual(row, { statement: `${QUERY_TIMEOUT_MS}ms`, idle: `${2 * QUERY_TIMEOUT_MS}ms` });
});

test("a statement slower than the bound is an outage (503), and the pool serves the next one", async () => {
  const error = await failure(db.sql`select pg_sleep(3)`);
  assert.ok(isDatabaseUnavailable(error), String(error));
  // The server cancelled it: the backend is free again, not still sleeping.
  const busy = await db.sql`select 1 from pg_stat_activity
    where datname = current_database() and query like 'select pg_sleep(3)%' and state = 'active'`;
  assert.equal(busy.length, 0);
});

test("a transaction nobody drives any more is ended by the server; the pool gets its connection back", async () => {
  const error = await failure(
    db.sql.begin(async (tx) => {
      await tx`select 1`;
      // Idle in transaction for longer than the server allows (the request that drove it was gone).
      await new Promise((resolve) => setTimeout(resolve, 6 * QUERY_TIMEOUT_MS));
      await tx`select 2`;
    }),
  );
  assert.ok(isDatabaseUnavailable(error), String(error));
  for (let i = 0; i < 4; i++) assert.equal((await db.sql`select 1 as one`)[0]?.one, 1);
});

test("a COMMIT that does not finish within the bound answers DatabaseTimeoutError (503); what it commits later stays", async () => {
  // A deferred constraint trigger runs at COMMIT: made slow, it holds the COMMIT, which postgres.js sends
  // itself, outside any statement of ours (and PostgreSQL does not cancel a COMMIT's deferred triggers
  // for statement_timeout).
  await db.sql.unsafe(`
    create table slow_commit (id int primary key);
    create function slow_commit_check() returns trigger language plpgsql as
      $$ begin perform pg_sleep(1); return null; end $$;
    create constraint trigger slow_commit_at_commit after insert on slow_commit
      deferrable initially deferred for each row execute function slow_commit_check();`);
  const error = await failure(db.sql.begin((tx) => tx`insert into slow_commit values (1)`));
  assert.ok(error instanceof DatabaseTimeoutError, String(error));
  // The request was answered 503, yet the write may still commit: a client retries idempotently.
  const committed = await pollUntil(
    async () => ((await db.sql`select id from slow_commit`).length === 1 ? true : undefined),
    { timeoutMs: 10_000, description: "the slow COMMIT to finish" },
  );
  assert.equal(committed, true);
});

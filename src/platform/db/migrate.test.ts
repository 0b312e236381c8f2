import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../../test/support/database.ts";
import { connectDatabase, type Database } from "./client.ts";
import { migrate } from "./migrate.ts";

let database: TestDatabase;
const opened: Database[] = [];

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await Promise.all(opened.map((db) => db.close()));
  await database.drop();
});

async function connect(): Promise<Database> {
  const db = await connectDatabase({
    url: database.env.DATABASE_URL,
    poolMax: 3,
    dataDir: database.env.DATA_DIR ?? "./data",
    queryTimeoutMs: 5000,
  });
  opened.push(db);
  return db;
}

test("concurrent start-ups apply each migration exactly once", async () => {
  const first = await connect();
  // With embedded PGlite one process owns the data directory: the concurrent runs share its server.
  const second = database.env.DATABASE_URL ? await connect() : first;
  const results = await Promise.all([migrate(first.sql), migrate(second.sql), migrate(first.sql)]);
  const applied = results.flat();
  assert.deepEqual(applied, [...new Set(applied)], "no migration applied twice");
  assert.ok(applied.includes("001_core.sql"));
  const rows = await first.sql<{ name: string }[]>`select name from schema_migrations order by name`;
  assert.deepEqual(
    rows.map((r) => r.name),
    [...new Set(applied)].sort(),
  );
  assert.deepEqual(await migrate(first.sql), [], "a later start applies nothing");
});

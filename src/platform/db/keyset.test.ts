import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../../test/support/database.ts";
import { uuidv7 } from "../ids.ts";
import { connectDatabase, type Database } from "./client.ts";
import { keysetPage } from "./keyset.ts";

let database: TestDatabase;
let db: Database;
const ids: string[] = [];

before(async () => {
  database = await createTestDatabase();
  db = await connectDatabase({
    url: database.env.DATABASE_URL,
    poolMax: 2,
    dataDir: database.env.DATA_DIR ?? "./data",
    queryTimeoutMs: 5000,
  });
  await db.sql`create table items (id uuid primary key, odd boolean not null)`;
  for (let i = 0; i < 7; i++) ids.push(uuidv7(Date.now() + i));
  for (const [i, id] of ids.entries())
    await db.sql`insert into items (id, odd) values (${id}, ${i % 2 === 1})`;
});
after(async () => {
  await db.close();
  await database.drop();
});

const pageOf = (after: string | null, limit: number, onlyOdd = false) =>
  keysetPage(
    db.sql,
    { after, limit },
    (k) => db.sql<{ id: string }[]>`
    select id from items where true ${onlyOdd ? db.sql`and odd` : db.sql``} ${k.after} ${k.page}`,
  );

test("walking pages returns every row once, in id order, and ends with next = null", async () => {
  const seen: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page = await pageOf(after, 3);
    assert.ok(page.items.length <= 3);
    seen.push(...page.items.map((row) => row.id));
    after = page.next;
    pages++;
  } while (after);
  assert.deepEqual(seen, ids);
  assert.equal(pages, 3);
});

test("the extra row is never returned: a page that ends exactly at the last row says there is no next", async () => {
  const all = await pageOf(null, 7);
  assert.deepEqual([all.items.length, all.next], [7, null]);
  const first = await pageOf(null, 6);
  assert.deepEqual([first.items.length, first.next], [6, ids[5]]);
  const rest = await pageOf(first.next, 6);
  assert.deepEqual([rest.items.map((r) => r.id), rest.next], [[ids[6]], null]);
});

test("the fragments combine with the select's own filters", async () => {
  const odd = await pageOf(null, 2, true);
  assert.deepEqual(
    odd.items.map((r) => r.id),
    [ids[1], ids[3]],
  );
  const more = await pageOf(odd.next, 2, true);
  assert.deepEqual([more.items.map((r) => r.id), more.next], [[ids[5]], null]);
});

test("descending pages walk every row once, newest first", async () => {
  const seen: string[] = [];
  let after: string | null = null;
  do {
    const page: { items: { id: string }[]; next: string | null } = await keysetPage(
      db.sql,
      { after, limit: 3 },
      (k) => db.sql<{ id: string }[]>`select id from items where true ${k.after} ${k.page}`,
      "descending",
    );
    seen.push(...page.items.map((row) => row.id));
    after = page.next;
  } while (after);
  assert.deepEqual(seen, [...ids].reverse());
});

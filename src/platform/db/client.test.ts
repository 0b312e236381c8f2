import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectMigratedTestDatabase } from "../../../test/support/migrated-database.ts";
import type { Database } from "./client.ts";

let db: Database;
let close: () => Promise<void>;

before(async () => {
  ({ db, close } = await connectMigratedTestDatabase());
});
after(() => close());

test("timestamptz values come back as the ISO 8601 UTC strings JavaScript's Date writes", async () => {
  const moments = [
    "2026-12-01T02:11:47.123456Z",
    "2026-12-01T02:11:47.5Z",
    "2026-12-01T02:11:47Z",
    "1970-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
  ] as const;
  const [a, b, c, d, e] = moments;
  const [row] = await db.sql<Record<string, string>[]>`
    select ${a}::timestamptz as a, ${b}::timestamptz as b, ${c}::timestamptz as c,
           ${d}::timestamptz as d, ${e}::timestamptz as e`;
  const values = Object.values(row ?? {});
  // PostgreSQL's text form, rewritten to ISO 8601: same instant, fraction as PostgreSQL prints it.
  assert.deepEqual(values, moments);
  for (const value of values.slice(0, 4)) {
    assert.equal(new Date(value).getTime(), Date.parse(value), value);
    assert.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
});

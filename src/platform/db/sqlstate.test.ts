/** SQLSTATE classes 22 and 23 as the real server raises them (PostgreSQL, or the embedded PGlite). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverDatabase } from "../../../test/support/database.ts";
import { clientErrorFromDatabase } from "./sqlstate.ts";

test("clientErrorFromDatabase: the whole of class 22 and class 23 are 4xx, from the real server", async () => {
  const { sql, close } = await serverDatabase();
  const cause = async (query: Promise<unknown>) => {
    try {
      await query;
    } catch (error) {
      return error;
    }
    assert.fail("the statement should fail");
  };
  try {
    await sql`create table t (id int primary key, v varchar(3), n int not null check (n > 0))`;
    await sql`insert into t values (1, 'a', 1)`;
    const cases: [string, Promise<unknown>, number][] = [
      ["22021", sql`select ${"a\u0000"}::text`, 422],
      ["22P05", sql.unsafe(`select '{"a":"\\u0000"}'::jsonb`), 422],
      ["22001", sql`insert into t values (2, 'abcd', 1)`, 422],
      ["22003", sql`select 2147483648::int`, 422],
      ["22P02", sql`select 'x'::uuid`, 422],
      ["22012", sql`select 1/0`, 422],
      ["22007", sql`select 'yesterday-ish'::timestamptz`, 422],
      ["23505", sql`insert into t values (1, 'b', 1)`, 409],
      ["23502", sql`insert into t values (3, 'b', null)`, 422],
      ["23514", sql`insert into t values (4, 'b', -1)`, 422],
    ];
    for (const [code, query, status] of cases) {
      const error = (await cause(query)) as { code: string };
      assert.equal(error.code, code, `the server raised ${code}`);
      assert.equal(clientErrorFromDatabase(error)?.status, status, code);
    }
  } finally {
    await close();
  }
  assert.equal(clientErrorFromDatabase({ code: "22ZZZ" })?.status, 422, "codes added later in class 22");
  for (const code of ["57P01", "53300", "42601", "ECONNREFUSED", undefined]) {
    assert.equal(clientErrorFromDatabase({ code }), undefined, String(code));
  }
  assert.equal(clientErrorFromDatabase(new Error("x")), undefined);
});

/** The storable-text rule, checked against the real PostgreSQL (or the embedded PGlite the service falls back to). */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { serverDatabase } from "../../../test/support/database.ts";
import { isStorableText, replaceUnstorableDeep } from "./text.ts";

test("replaceUnstorableDeep: every string, keys included, becomes storable; storable input is unchanged", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const replaced = replaceUnstorableDeep(value);
      const strings: string[] = [];
      JSON.stringify(replaced, (key, item) => {
        strings.push(key);
        if (typeof item === "string") strings.push(item);
        return item;
      });
      assert.ok(strings.every(isStorableText));
    }),
  );
  const storable = { a: ["b", 1, null, { c: "ü😀" }] };
  assert.deepEqual(replaceUnstorableDeep(storable), storable);
  assert.deepEqual(replaceUnstorableDeep({ "k\u0000": "v\ud800" }), { "k\uFFFD": "v\uFFFD" });
});

test("replaceUnstorableDeep output is accepted by PostgreSQL's text and jsonb (the real server)", async () => {
  const { sql, close } = await serverDatabase();
  try {
    const nasty = { "k\u0000": ["\u0000", "\ud800", "x\udfff", "😀\u200f"] };
    await assert.rejects(sql`select ${sql.json(nasty)}::jsonb`, (error: { code?: string }) =>
      ["22P05", "22P02"].includes(String(error.code)),
    );
    await assert.rejects(sql`select ${"a\u0000b"}::text`, { code: "22021" });
    const cleaned = replaceUnstorableDeep(nasty);
    const [row] = await sql<{ value: unknown; text: string }[]>`
      select ${sql.json(cleaned)}::jsonb as value, ${replaceUnstorableDeep("a\u0000b\ud800")}::text as text`;
    assert.deepEqual(row?.value, cleaned);
    assert.equal(row?.text, "a\uFFFDb\uFFFD");
  } finally {
    await close();
  }
});

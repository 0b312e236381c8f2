import assert from "node:assert/strict";
import { test } from "node:test";
import { uuidv7 } from "../ids.ts";
import { encodeCursor } from "./cursor.ts";
import { pageQuery, pageRequest, toPage } from "./paging.ts";

test("pageQuery accepts exactly the documented cursors: issued ones and any other position", () => {
  const issued = encodeCursor(uuidv7());
  assert.equal(pageQuery.parse({ cursor: issued }).cursor, issued);
  assert.equal(pageQuery.parse({ cursor: "A".repeat(22) }).cursor, "A".repeat(22), "a position never issued");
  for (const cursor of ["not-a-cursor", "0".repeat(64), "0".repeat(22), "%%%", ""]) {
    assert.equal(pageQuery.safeParse({ cursor }).success, false, cursor);
  }
});

test("pageRequest turns validated query values into the store's request", () => {
  const id = uuidv7();
  assert.deepEqual(pageRequest({ limit: 5, cursor: encodeCursor(id) }), { after: id, limit: 5 });
  assert.deepEqual(pageRequest({ limit: 20 }), { after: null, limit: 20 });
});

test("toPage serializes the rows and encodes the continuation only when there is one", () => {
  const next = uuidv7();
  assert.deepEqual(
    toPage({ items: [{ id: "a", n: 1 }], next }, (row) => ({ n: row.n })),
    { items: [{ n: 1 }], next_cursor: encodeCursor(next) },
  );
  assert.deepEqual(toPage({ items: [], next: null }), { items: [], next_cursor: null });
});

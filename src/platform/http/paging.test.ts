import assert from "node:assert/strict";
import { test } from "node:test";
import { uuidv7 } from "../ids.ts";
import { ApiError } from "./errors.ts";
import { decodeCursor, encodeCursor, pageRequest, toPage } from "./paging.ts";

test("a cursor is the base64url of a row id and decodes back to it", () => {
  const id = uuidv7();
  assert.equal(decodeCursor(encodeCursor(id)), id);
  assert.match(encodeCursor(id), /^[\w-]+$/, "URL-safe, no padding");
  assert.equal(decodeCursor(undefined), null);
  assert.equal(decodeCursor(""), null);
});

test("a cursor this API did not issue is a 400, never reaching SQL", () => {
  for (const cursor of ["not-a-cursor", "0000", encodeCursor("1 or 1=1"), "%%%"]) {
    assert.throws(
      () => decodeCursor(cursor),
      (error: unknown) => error instanceof ApiError && error.status === 400 && error.code === "bad_request",
      cursor,
    );
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

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { uuidv7 } from "../ids.ts";
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from "./cursor.ts";

test("cursors: every string matching the documented pattern decodes; issued cursors round-trip", () => {
  for (let i = 0; i < 100; i++) {
    const id = uuidv7();
    const cursor = encodeCursor(id);
    assert.match(cursor, CURSOR_PATTERN);
    assert.equal(decodeCursor(cursor), id);
  }
  fc.assert(
    fc.property(fc.stringMatching(CURSOR_PATTERN), (cursor) => {
      const id = decodeCursor(cursor) as string;
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(encodeCursor(id), cursor, "one cursor per position");
    }),
  );
  assert.equal(decodeCursor(undefined), null);
  assert.throws(() => decodeCursor("0".repeat(64)), RangeError);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { isUuid, uuidv7 } from "./ids.ts";

test("uuidv7 is RFC 9562 version 7 with the variant bits, its timestamp in the first 48 bits", () => {
  const at = Date.UTC(2026, 10, 25, 12, 0, 0);
  const id = uuidv7(at);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16), at);
  assert.ok(isUuid(id));
});

test("ids sort by creation time and differ in their random part", () => {
  const earlier = uuidv7(1_000_000);
  const later = uuidv7(1_000_001);
  assert.ok(earlier < later);
  assert.notEqual(uuidv7(5), uuidv7(5));
});

test("isUuid accepts any canonical UUID, case-insensitively, and nothing else", () => {
  assert.ok(isUuid("00000000-0000-0000-0000-000000000000"));
  assert.ok(isUuid("0192F0C8-AAAA-7BBB-8CCC-DDDDDDDDDDDD"));
  for (const value of [
    "",
    "not-a-uuid",
    "0192f0c8aaaa7bbb8cccdddddddddddd",
    "0192f0c8-aaaa-7bbb-8ccc-ddddddddddd",
  ])
    assert.equal(isUuid(value), false, value);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { stripNul, stripNulDeep } from "./untrusted-text.ts";

test("stripNul removes every U+0000 and leaves other control characters", () => {
  assert.equal(stripNul("a\u0000b\u0000"), "ab");
  assert.equal(stripNul("tab\tnew\nline\u0001"), "tab\tnew\nline\u0001");
  assert.equal(stripNul(""), "");
});

test("stripNulDeep cleans strings and keys at any depth and keeps other values", () => {
  const input = { "c\u0000ontent": "<p>x\u0000y</p>", tag: [{ name: "#a\u0000" }, 1, true, null], n: 2.5 };
  assert.deepEqual(stripNulDeep(input), {
    content: "<p>xy</p>",
    tag: [{ name: "#a" }, 1, true, null],
    n: 2.5,
  });
  assert.deepEqual(input["c\u0000ontent"], "<p>x\u0000y</p>", "the input is not modified");
});

test("stripNulDeep returns the same reference when there is nothing to strip", () => {
  const clean = { a: ["b", { c: "d" }] };
  assert.equal(stripNulDeep(clean), clean);
  assert.equal(stripNulDeep(null), null);
  assert.equal(stripNulDeep(undefined), undefined);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { exceedsJsonDepth, jsonDepth, MAX_JSON_DEPTH } from "./json-depth.ts";

test("jsonDepth counts objects and arrays and ignores brackets inside strings", () => {
  assert.equal(jsonDepth("1"), 0);
  assert.equal(jsonDepth('{"a":[1,{"b":{}}]}'), 4);
  assert.equal(
    jsonDepth('{"content":"[[[[{{{{ \\" ]]]] {{{{"}'),
    1,
    "brackets and escaped quotes in a string",
  );
  assert.equal(jsonDepth('["\\\\", [[]]]'), 3, "an escaped backslash ends before the closing quote");
});

test("a real activity passes; ~1,000 nested levels (6 KB) are refused before parsing", () => {
  const activity = JSON.stringify({
    "@context": ["https://www.w3.org/ns/activitystreams", { toot: "http://joinmastodon.org/ns#" }],
    type: "Announce",
    object: { type: "Create", object: { type: "Note", tag: [{ type: "Mention", href: "x" }] } },
  });
  assert.equal(exceedsJsonDepth(activity), false);
  const hostile = `{"type":"Create","object":${"[".repeat(1000)}${"]".repeat(1000)}}`;
  assert.ok(hostile.length < 6_100);
  assert.equal(exceedsJsonDepth(hostile), true);
  assert.equal(jsonDepth(hostile, MAX_JSON_DEPTH), MAX_JSON_DEPTH + 1, "stops counting past the limit");
  assert.equal(exceedsJsonDepth(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`), false);
  assert.equal(
    exceedsJsonDepth(`${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${"}".repeat(MAX_JSON_DEPTH + 1)}`),
    true,
  );
});

/** storedText against independent oracles: JavaScript's \s, and the JSON Schema it documents read as ECMA-262. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import fc from "fast-check";
import { codePointLength, NON_BLANK_PATTERN } from "../db/text.ts";
import { storedText } from "./text.ts";

test("storedText: U+0000, unpaired surrogates and blank text are refused; lengths count code points", () => {
  const title = z.object({ title: storedText({ max: 5, nonBlank: true }) });
  const refused = (value: string) => {
    const result = title.safeParse({ title: value });
    assert.equal(result.success, false, JSON.stringify(value));
    assert.deepEqual(result.error?.issues[0]?.path, ["title"], "the issue names the field");
  };
  refused("Intro\u0000");
  refused("\ud800x");
  refused("x\udc00");
  refused("");
  refused(" \t\n");
  refused("abcdef");
  for (const ok of ["Intro", " a ", "😀😀😀😀😀", "\u200f\u05e9\u05dc", "a\ud83d\ude00"]) {
    assert.deepEqual(title.parse({ title: ok }), { title: ok }, "kept exactly, not trimmed");
  }
  assert.equal(codePointLength("😀😀😀😀😀"), 5);
  // The spelled-out white space is exactly JavaScript's \s, over the whole BMP.
  for (let code = 1; code < 0x10000; code++) {
    const char = String.fromCharCode(code);
    if (!char.isWellFormed()) continue;
    assert.equal(NON_BLANK_PATTERN.test(char), !/\s/.test(char), `U+${code.toString(16)}`);
  }
});

test("storedText: the JSON Schema it documents accepts exactly what zod accepts (for UTF-8 text)", () => {
  // The document's pattern, compiled as JSON Schema's ECMA-262 dialect reads it.
  const schema = storedText({ max: 40, nonBlank: true });
  const app = new OpenAPIHono();
  app.openapi(
    createRoute({
      method: "post",
      path: "/x",
      request: { body: { content: { "application/json": { schema: z.object({ t: schema }) } } } },
      responses: { 204: { description: "ok" } },
    }),
    (c) => c.body(null, 204),
  );
  const document = JSON.parse(
    JSON.stringify(app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } })),
  );
  const { pattern, minLength, maxLength } = document.paths["/x"].post.requestBody.content["application/json"]
    .schema.properties.t as { pattern: string; minLength: number; maxLength: number };
  // Python's re (what schemathesis generates from) reads the same pattern the same way.
  assert.doesNotMatch(pattern, /\\[sSdDwW]/, "no dialect-dependent classes");
  const matches = (value: string) =>
    new RegExp(pattern, "u").test(value) &&
    codePointLength(value) >= minLength &&
    codePointLength(value) <= maxLength;
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ unit: "grapheme", maxLength: 50 }), fc.string({ unit: "binary", maxLength: 50 })),
      (value) => {
        assert.equal(schema.safeParse(value).success, matches(value), JSON.stringify(value));
      },
    ),
    { numRuns: 2000 },
  );
});

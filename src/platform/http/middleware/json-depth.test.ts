import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Hono } from "hono";
import { appLogger } from "../../telemetry/logger.ts";
import type { PlatformEnv } from "../context.ts";
import { handleError } from "../errors.ts";
import { limitJsonDepth, nestsDeeperThan } from "./json-depth.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (levels: number, open = "[", close = "]") => `${open.repeat(levels)}${close.repeat(levels)}`;

/** The depth JSON.parse itself sees: the oracle the byte scan must agree with. */
function parsedDepth(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(parsedDepth));
}

test("the byte scan measures the depth JSON.parse sees, for any JSON value", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 12 }), fc.nat({ max: 14 }), (value, limit) => {
      const text = JSON.stringify(value);
      assert.equal(nestsDeeperThan(bytes(text), limit), parsedDepth(value) > limit, text);
    }),
    { numRuns: 2000 },
  );
});

test("brackets inside strings, escaped quotes and backslashes, and multi-byte text do not count", () => {
  assert.equal(nestsDeeperThan(bytes('{"content":"[[[[{{{{ \\" ]]]] {{{{"}'), 1), false);
  assert.equal(
    nestsDeeperThan(bytes('["\\\\", [[]]]'), 2),
    true,
    "an escaped backslash ends before the quote",
  );
  assert.equal(nestsDeeperThan(bytes('["\\\\", [[]]]'), 3), false);
  assert.equal(nestsDeeperThan(bytes(`{"a":"😀[ü{"}`), 1), false);
  assert.equal(nestsDeeperThan(bytes(nested(64)), 64), false);
  assert.equal(nestsDeeperThan(bytes(nested(65, '{"a":', "}")), 64), true);
  // What overflowed jsonld.js (Fedify's inbox): ~1,000 levels in 6 KB. Not JSON at all still gets an answer.
  assert.equal(nestsDeeperThan(bytes(`{"type":"Create","object":${nested(1000)}}`), 64), true);
  assert.equal(nestsDeeperThan(bytes("[[[ not json"), 2), true);
  assert.equal(nestsDeeperThan(new Uint8Array(0), 0), false);
});

test("the middleware answers 400 json_too_deep before the handler parses, and passes the body on otherwise", async () => {
  const app = new Hono<PlatformEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "req-1");
    c.set("logger", appLogger("test"));
    await next();
  });
  let parsed = 0;
  app.post("/x", limitJsonDepth(8), async (c) => {
    parsed++;
    return c.json({ echo: await c.req.json() });
  });
  app.onError(handleError);
  const post = (body: string) =>
    app.request("/x", { method: "POST", body, headers: { "content-type": "application/json" } });

  const deep = await post(nested(9));
  assert.equal(deep.status, 400);
  assert.equal(((await deep.json()) as { error: { code: string } }).error.code, "json_too_deep");
  assert.equal(parsed, 0, "the handler never ran");

  const ok = await post('{"a":[{"b":"ü"}]}');
  assert.equal(ok.status, 200);
  assert.deepEqual(
    await ok.json(),
    { echo: { a: [{ b: "ü" }] } },
    "the body read by the guard reaches the handler",
  );
});

/** Unit tests of the boundary rules (text, cursors, SQLSTATE classes, Allow) against independent oracles. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import fc from "fast-check";
import { Hono } from "hono";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../src/platform/db/embedded.ts";
import { clientErrorFromDatabase } from "../../src/platform/db/sqlstate.ts";
import {
  codePointLength,
  isStorableText,
  NON_BLANK_PATTERN,
  replaceUnstorableDeep,
} from "../../src/platform/db/text.ts";
import { allowIndex } from "../../src/platform/http/allow.ts";
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from "../../src/platform/http/cursor.ts";
import { storedText } from "../../src/platform/http/text.ts";
import { uuidv7 } from "../../src/platform/ids.ts";
import { createTestDatabase } from "../support/database.ts";

/**
 * A PostgreSQL to ask: the server named by TEST_DATABASE_URL (a fresh database), else the embedded
 * PGlite the service itself falls back to (the same SQLSTATEs).
 */
async function serverDatabase(): Promise<{ sql: postgres.Sql; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const embedded = database.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(database.env.DATA_DIR as string, 1);
  const sql = postgres(database.env.DATABASE_URL ?? (embedded?.url as string), {
    max: 1,
    onnotice: () => {},
  });
  return {
    sql,
    async close() {
      await sql.end();
      await embedded?.stop();
      await database.drop();
    },
  };
}

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

test("allowIndex agrees with hono's own routing: trailing slash unknown, HEAD with GET, OPTIONS everywhere", async () => {
  const app = new Hono();
  app.use("/api/*", async (_c, next) => next());
  app.get("/api/courses", (c) => c.text("list"));
  app.post("/api/courses", (c) => c.text("created"));
  app.get("/api/courses/:id", (c) => c.text("one"));
  app.patch("/api/courses/:id", (c) => c.text("changed"));
  app.delete("/api/sessions/current", (c) => c.body(null, 204));
  app.post("/ap/inbox", (c) => c.text("ok"));
  const index = allowIndex(app.routes);
  assert.deepEqual(index.allowed("/api/courses"), ["GET", "HEAD", "POST", "OPTIONS"]);
  assert.deepEqual(index.allowed("/api/courses/123"), ["GET", "HEAD", "PATCH", "OPTIONS"]);
  assert.deepEqual(index.allowed("/api/sessions/current"), ["DELETE", "OPTIONS"]);
  assert.deepEqual(index.allowed("/ap/inbox"), ["POST", "OPTIONS"]);
  for (const path of ["/api/courses/", "/api/courses/1/", "/api/nothing", "/api", "/", "/ap/inbox/"]) {
    assert.equal(index.allowed(path), undefined, path);
    // hono routes none of these either: the index and the router agree.
    for (const method of ["GET", "POST", "PATCH", "DELETE"]) {
      assert.equal((await app.request(path, { method })).status, 404, `${method} ${path}`);
    }
  }
  // Every method the index allows (but OPTIONS, which the app wires in) is one hono routes.
  for (const [path, methods] of [
    ["/api/courses", index.allowed("/api/courses")],
    ["/api/courses/9", index.allowed("/api/courses/9")],
  ] as const) {
    for (const method of methods ?? []) {
      if (method === "OPTIONS") continue;
      assert.notEqual((await app.request(path, { method })).status, 404, `${method} ${path}`);
    }
  }
  assert.equal(allowIndex([]).allowed("/x"), undefined);
});

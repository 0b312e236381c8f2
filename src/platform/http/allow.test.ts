/** allowIndex against hono's own routing (the oracle it must agree with). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { allowIndex } from "./allow.ts";

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

import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { retryAfterOn503 } from "./retry-after.ts";

function app() {
  const hono = new Hono();
  hono.use(retryAfterOn503(2));
  hono.onError((_error, c) => c.json({ error: { code: "database_unavailable" } }, 503));
  hono.get("/thrown", () => {
    throw new Error("ECONNRESET");
  });
  hono.get("/returned", (c) => c.json({ status: "error" }, 503));
  hono.get("/own", (c) => c.json({}, 503, { "Retry-After": "30" }));
  hono.get("/ok", (c) => c.json({ status: "ok" }));
  return hono;
}

test("every 503 carries Retry-After, whether returned or produced by the error handler", async () => {
  for (const path of ["/thrown", "/returned"]) {
    const response = await app().request(path);
    assert.equal(response.status, 503, path);
    assert.equal(response.headers.get("retry-after"), "2", path);
  }
});

test("a 503 with its own Retry-After keeps it; other statuses get none", async () => {
  assert.equal((await app().request("/own")).headers.get("retry-after"), "30");
  const ok = await app().request("/ok");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("retry-after"), null);
});

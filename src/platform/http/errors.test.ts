import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { CacheUnavailableError } from "../cache/cache.ts";
import { appLogger } from "../telemetry/logger.ts";
import type { PlatformEnv } from "./context.ts";
import { ApiError, handleError, toApiError } from "./errors.ts";

const sqlError = (code: string, extra: object = {}) =>
  Object.assign(new Error(`sqlstate ${code}`), { code, ...extra });

test("client faults the database reports are 4xx: unique 409 with the constraint, data exceptions 422", () => {
  const cases: [unknown, number, string][] = [
    [sqlError("23505", { constraint_name: "users_tenant_id_username_key" }), 409, "conflict"],
    [sqlError("23503"), 409, "conflict"],
    [sqlError("23514"), 422, "constraint_violation"],
    [sqlError("22P02"), 422, "unprocessable_value"],
    [sqlError("22001"), 422, "unprocessable_value"],
    [sqlError("22021"), 422, "unprocessable_value"],
    [sqlError("22P05"), 422, "unprocessable_value"],
    [sqlError("22008"), 422, "unprocessable_value"],
  ];
  for (const [error, status, code] of cases) {
    const mapped = toApiError(error);
    assert.equal(mapped?.status, status, String(error));
    assert.equal(mapped?.code, code);
  }
  assert.match(toApiError(cases[0]?.[0])?.message ?? "", /users_tenant_id_username_key/);
});

test("outages are 503 with a code that says which dependency; bugs are not mapped (500)", () => {
  for (const code of ["ECONNREFUSED", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "57P01", "53300"]) {
    assert.equal(toApiError(sqlError(code))?.code, "database_unavailable", code);
  }
  assert.deepEqual(
    [toApiError(new CacheUnavailableError("down"))?.status, toApiError(new CacheUnavailableError("x"))?.code],
    [503, "session_store_unavailable"],
  );
  assert.equal(toApiError(new TypeError("undefined is not a function")), undefined);
  assert.equal(toApiError(sqlError("42P01")), undefined, "a missing table is our bug");
  assert.equal(toApiError("a string"), undefined);
});

test("hono's HTTP exceptions keep their status with a stable code", () => {
  assert.equal(toApiError(new HTTPException(400, { message: "Malformed JSON" }))?.code, "malformed_request");
  assert.equal(toApiError(new HTTPException(413))?.code, "payload_too_large");
  assert.equal(toApiError(new HTTPException(415))?.code, "unsupported_media_type");
  assert.equal(toApiError(new HTTPException(418))?.code, "http_error");
});

test("the handler renders the envelope with the request id, extra headers and fields; 5xx only for bugs", async () => {
  const app = new Hono<PlatformEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "req-1");
    c.set("logger", appLogger("test"));
    await next();
  });
  app.get("/limited", () => {
    throw new ApiError(429, "rate_limited", "slow down", { headers: { "Retry-After": "7" } });
  });
  app.get("/invalid", () => {
    throw new ApiError(422, "validation_failed", "bad", {
      fields: [{ path: "json.title", message: "empty" }],
    });
  });
  app.get("/bug", () => {
    throw new Error("secret internals");
  });
  app.onError(handleError);

  const limited = await app.request("/limited");
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "7");
  assert.deepEqual(await limited.json(), {
    error: { code: "rate_limited", message: "slow down", requestId: "req-1" },
  });

  const invalid = await app.request("/invalid");
  assert.deepEqual(((await invalid.json()) as { error: { fields: unknown } }).error.fields, [
    { path: "json.title", message: "empty" },
  ]);

  const bug = await app.request("/bug");
  assert.equal(bug.status, 500);
  const body = (await bug.json()) as { error: { code: string; message: string } };
  assert.deepEqual([body.error.code, body.error.message], ["internal_error", "Internal server error"]);
});

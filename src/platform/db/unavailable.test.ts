import assert from "node:assert/strict";
import { test } from "node:test";
import postgres from "postgres";
import { DatabaseTimeoutError, isDatabaseUnavailable } from "./unavailable.ts";

test("database outages are recognised: postgres.js connection codes, socket errors, SQLSTATE classes 08/53, 57P01-57P03, the server's timeouts", () => {
  for (const code of [
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "CONNECT_TIMEOUT",
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "08000",
    "08003",
    "08006",
    "08P01",
    "53300",
    "53100",
    "57P01",
    "57P02",
    "57P03",
    "57014",
    "25P03",
  ]) {
    assert.ok(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), code);
  }
  assert.ok(isDatabaseUnavailable(new DatabaseTimeoutError(2000)));
  // Wrapped by a caller (`new Error(…, { cause })`): still an outage.
  assert.ok(
    isDatabaseUnavailable(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "EPIPE" }) })),
  );
});

test("client faults and bugs are not outages", () => {
  for (const code of [
    "23505",
    "23503",
    "22P02",
    "42P01",
    "40001",
    "57P04",
    "UNSAFE_TRANSACTION",
    undefined,
  ]) {
    assert.equal(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), false, String(code));
  }
  assert.equal(isDatabaseUnavailable("CONNECTION_CLOSED"), false);
  assert.equal(isDatabaseUnavailable(null), false);
});

test("a refused connection from the real driver is an outage", async () => {
  // Port 1 on loopback: nothing listens there.
  const sql = postgres("postgres://u:p@127.0.0.1:1/db", { max: 1, connect_timeout: 2, onnotice: () => {} });
  const error = await sql`select 1`.catch((e: unknown) => e);
  await sql.end({ timeout: 0 });
  assert.ok(isDatabaseUnavailable(error), String(error));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { SendActivityError, UrlError } from "@fedify/fedify";
import { classifyFailure, shortType } from "./delivery.ts";
import { DeliveryTimeoutError } from "./queue-tasks.ts";

const inbox = new URL("https://remote.example/inbox");
const answered = (status: number) => new SendActivityError(inbox, status, `HTTP ${status}`, "");
const withCode = (code: string, nested = false) => {
  const cause = Object.assign(new Error(code), { code });
  return nested ? new TypeError("fetch failed", { cause }) : cause;
};

test("HTTP answers: gone is permanent, 5xx and 429 are the host's fault, a refusal is not", () => {
  const cases: [number, ReturnType<typeof classifyFailure>][] = [
    [404, { reason: "gone", hostFault: false, permanent: true }],
    [410, { reason: "gone", hostFault: false, permanent: true }],
    [401, { reason: "signature_rejected", hostFault: false, permanent: false }],
    [403, { reason: "signature_rejected", hostFault: false, permanent: false }],
    [429, { reason: "rate_limited", hostFault: true, permanent: false }],
    [500, { reason: "server_error", hostFault: true, permanent: false }],
    [503, { reason: "server_error", hostFault: true, permanent: false }],
    [400, { reason: "rejected", hostFault: false, permanent: true }],
    [422, { reason: "rejected", hostFault: false, permanent: true }],
  ];
  for (const [status, expected] of cases)
    assert.deepEqual(classifyFailure(answered(status)), expected, `${status}`);
});

test("network failures are classified from the error code, also when it is nested in causes", () => {
  const cases: [unknown, string][] = [
    [withCode("ECONNREFUSED"), "connection_refused"],
    [withCode("ECONNREFUSED", true), "connection_refused"],
    [withCode("ConnectionRefused"), "connection_refused"],
    [withCode("ENOTFOUND", true), "dns"],
    [withCode("EAI_AGAIN"), "dns"],
    [withCode("ETIMEDOUT"), "timeout"],
    [withCode("UND_ERR_CONNECT_TIMEOUT", true), "timeout"],
    [withCode("CERT_HAS_EXPIRED", true), "tls"],
    [withCode("ERR_SSL_WRONG_VERSION_NUMBER"), "tls"],
    [withCode("ECONNRESET"), "network"],
    [withCode("EPIPE"), "network"],
    [new TypeError("fetch failed"), "network"],
    [new DeliveryTimeoutError("too slow"), "timeout"],
  ];
  for (const [error, reason] of cases) {
    const classified = classifyFailure(error);
    assert.equal(classified.reason, reason, String(error));
    assert.equal(classified.hostFault, true, `${reason} counts against the host`);
    assert.equal(classified.permanent, false, `${reason} is retried`);
  }
});

test("a private target is permanent; an unknown error says nothing about the host", () => {
  assert.deepEqual(classifyFailure(new UrlError("private address")), {
    reason: "private_address",
    hostFault: false,
    permanent: true,
  });
  assert.deepEqual(classifyFailure(new Error("something else")), {
    reason: "error",
    hostFault: false,
    permanent: false,
  });
  assert.equal(classifyFailure("a string").reason, "error");
});

test("activity types shorten to their ActivityStreams name; anything else is `other`", () => {
  assert.equal(shortType("https://www.w3.org/ns/activitystreams#Create"), "Create");
  assert.equal(shortType("https://example.org/vocab/Follow"), "Follow");
  assert.equal(shortType("Undo"), "Undo");
  assert.equal(shortType(undefined), "other");
  assert.equal(shortType(42), "other");
  assert.equal(shortType("https://example.org/ns#Not-A-Type!"), "other");
  assert.equal(shortType(`https://example.org/${"X".repeat(33)}`), "other", "bounded length");
});

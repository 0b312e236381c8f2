import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeWebFingerResource } from "./webfinger-resource.ts";

test("bare and @-prefixed handles become acct: URIs, host lower-cased, user case kept", () => {
  assert.equal(normalizeWebFingerResource("uni.MsLopez@School.Example"), "acct:uni.MsLopez@school.example");
  assert.equal(normalizeWebFingerResource("@alice@127.0.0.1:3000"), "acct:alice@127.0.0.1:3000");
  assert.equal(normalizeWebFingerResource("ACCT:alice@HOST"), "acct:alice@host");
  assert.equal(normalizeWebFingerResource(" acct:alice@host "), "acct:alice@host");
});

test("actor URLs and malformed resources are left to Fedify", () => {
  const url = "https://School.Example/ap/actors/0192";
  assert.equal(normalizeWebFingerResource(url), url);
  assert.equal(normalizeWebFingerResource("alice"), "alice");
  assert.equal(normalizeWebFingerResource("a@b@c"), "a@b@c");
  assert.equal(normalizeWebFingerResource("mailto:alice@host"), "mailto:alice@host");
});

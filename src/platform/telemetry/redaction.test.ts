import assert from "node:assert/strict";
import { test } from "node:test";
import { isSecretHeaderAttribute, isSecretName } from "./redaction.ts";

test("secret names: credentials, tokens, cookies, keys and signatures, in any case or separator", () => {
  for (const name of [
    "password",
    "passwd",
    "newPassword",
    "passphrase",
    "client_secret",
    "token",
    "accessToken",
    "Authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "credentials",
    "x-api-key",
    "api_key",
    "apiKey",
    "signature",
  ])
    assert.equal(isSecretName(name), true, name);
  for (const name of [
    "username",
    "email",
    "tenantId",
    "requestId",
    "userAgent",
    "route",
    "status",
    "content-type",
  ])
    assert.equal(isSecretName(name), false, name);
});

test("header attributes (OTel http.*.header.<name>) are secret when the header's name is", () => {
  assert.equal(isSecretHeaderAttribute("http.request.header.authorization"), true);
  assert.equal(isSecretHeaderAttribute("http.request.header.cookie"), true);
  assert.equal(isSecretHeaderAttribute("http.response.header.set-cookie"), true);
  assert.equal(isSecretHeaderAttribute("http.request.header.x-api-key"), true);
  assert.equal(isSecretHeaderAttribute("http.request.header.accept"), false);
  assert.equal(isSecretHeaderAttribute("http.request.method"), false);
  assert.equal(isSecretHeaderAttribute("db.query.text"), false);
});

/**
 * The performance changes of the Fedify patch (patches/@fedify+fedify+2.3.6.patch, parts 2 and 3; part 1
 * is fedify-rfc9421.test.ts): importJwk() memoises imported keys, and signRequestRfc9421() reads the
 * clock without the Temporal polyfill. Each test fails on the unpatched package or on a wrong patch.
 */
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { test } from "node:test";
import { exportJwk, generateCryptoKeyPair, importJwk, signRequest } from "@fedify/fedify";

test("importJwk returns one CryptoKey per JWK and type, and a key that still signs", async () => {
  const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const privateJwk = await exportJwk(privateKey);
  const first = await importJwk(privateJwk, "private");
  // The outbox message carries the JWK as JSON: an equal object, not the same one, must hit the memo.
  const again = await importJwk(structuredClone(privateJwk), "private");
  assert.equal(again, first, "the same JWK is imported once (unpatched: a new CryptoKey each call)");

  const other = await importJwk(await exportJwk((await generateCryptoKeyPair()).privateKey), "private");
  assert.notEqual(other, first, "another key is another import");
  const publicJwk = await exportJwk(publicKey);
  const pub = await importJwk(publicJwk, "public");
  assert.equal(pub.type, "public");
  assert.deepEqual(pub.usages, ["verify"], "a public key is not served from the private key's entry");

  const data = new TextEncoder().encode("signed with the memoised key");
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", again, data);
  assert.ok(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pub, signature, data));
});

test("importJwk does not keep a failed import: the JWK is tried again", async () => {
  const jwk = await exportJwk((await generateCryptoKeyPair()).privateKey);
  const broken = { ...jwk, n: "AQAB" }; // a modulus of one byte: importKey refuses it
  await assert.rejects(importJwk(broken, "private"));
  await assert.rejects(
    importJwk(broken, "private"),
    "still refused, not a cached rejection turned into a key",
  );
  await assert.rejects(importJwk({ kty: "EC" }, "private"), TypeError);
});

test("an RFC 9421 signature's created and Date come from the clock, and verify", async () => {
  const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const before = Math.floor(Date.now() / 1000);
  const signed = await signRequest(
    new Request("https://remote.example/users/1/inbox", { method: "POST", body: "{}" }),
    privateKey,
    new URL("https://local.example/ap/actors/1#main-key"),
    { spec: "rfc9421" },
  );
  const after = Math.floor(Date.now() / 1000);
  const input = signed.headers.get("signature-input") ?? "";
  const created = Number(/;created=(\d+)/.exec(input)?.[1]);
  assert.ok(created >= before && created <= after, `created=${created}, clock ${before}…${after}`);
  const date = Date.parse(signed.headers.get("date") ?? "");
  assert.equal(Math.floor(date / 1000), created, "the Date header is the same instant");

  // The signature verifies over the base rebuilt from its own Signature-Input (RFC 9421 §2.5).
  const components = [...(/^sig1=\(([^)]*)\)/.exec(input)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map(
    (m) => m[1] as string,
  );
  const value = (name: string) =>
    ({ "@method": "POST", "@target-uri": signed.url, "@authority": new URL(signed.url).host })[name] ??
    signed.headers.get(name);
  const base = [
    ...components.map((name) => `"${name}": ${value(name)}`),
    `"@signature-params": ${input.slice("sig1=".length)}`,
  ].join("\n");
  const signature = Buffer.from(
    /^sig1=:([^:]+):$/.exec(signed.headers.get("signature") ?? "")?.[1] ?? "",
    "base64",
  );
  const key = createPublicKey({ key: (await exportJwk(publicKey)) as never, format: "jwk" });
  assert.ok(verify("sha256", Buffer.from(base), key, signature), base);
});

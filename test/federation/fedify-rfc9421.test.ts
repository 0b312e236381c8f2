/**
 * Regression test for the Fedify patch (patches/@fedify+fedify+2.3.6.patch): an RFC 9421 signature of
 * a GET whose URL has a fragment (a key id such as `…/users/x#main-key`, fetched by Fedify's
 * authenticated document loader) must verify over the URI that is actually sent, which has no
 * fragment. Fedify signs; the signature base is rebuilt here from RFC 9421 §2.2 and §2.5 and checked
 * with node:crypto, so the verifier is not the code under test. Unpatched, `@target-uri` carries the
 * fragment and the check fails.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, verify } from "node:crypto";
import { test } from "node:test";
import { signRequest } from "@fedify/fedify";

const KEY_URL = "https://remote.example/users/alice?x=1#main-key";

/** RFC 9421 §2.2 derived components of a request as received (the fragment never travels). */
function derived(name: string, method: string, sent: URL): string {
  switch (name) {
    case "@method":
      return method.toUpperCase();
    case "@target-uri":
      return sent.href;
    case "@authority":
      return sent.host;
    case "@path":
      return sent.pathname;
    case "@query":
      return sent.search;
    default:
      throw new Error(`component ${name} not rebuilt by this test`);
  }
}

test("Fedify's RFC 9421 signature of a GET for a URL with a fragment verifies over the URI sent", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signed = await signRequest(
    new Request(KEY_URL, { headers: { accept: "application/activity+json" } }),
    await crypto.subtle.importKey(
      "pkcs8",
      privateKey.export({ type: "pkcs8", format: "der" }),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["sign"],
    ),
    new URL("https://local.example/ap/actors/1#main-key"),
    { spec: "rfc9421" },
  );
  const input = signed.headers.get("signature-input") ?? "";
  const signature = signed.headers.get("signature") ?? "";
  const inputMatch = /^sig1=\(([^)]*)\)(.*)$/.exec(input);
  const signatureMatch = /^sig1=:([^:]+):$/.exec(signature);
  assert.ok(inputMatch && signatureMatch, `Signature-Input ${input}; Signature ${signature}`);
  const components = [...(inputMatch[1] as string).matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
  assert.ok(components.includes("@target-uri"), `covered: ${components.join(" ")}`);

  const sent = new URL(KEY_URL);
  sent.hash = "";
  const base = [
    ...components.map(
      (name) => `"${name}": ${name.startsWith("@") ? derived(name, "GET", sent) : signed.headers.get(name)}`,
    ),
    `"@signature-params": (${inputMatch[1]})${inputMatch[2]}`,
  ].join("\n");
  const valid = verify(
    "sha256",
    Buffer.from(base),
    publicKey,
    Buffer.from(signatureMatch[1] as string, "base64"),
  );
  assert.equal(valid, true, `the signature covers the URI sent (${sent.href}), not ${KEY_URL}`);
});

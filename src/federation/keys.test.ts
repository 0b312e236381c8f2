import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exportJwk, generateCryptoKeyPair } from "@fedify/fedify";
import { connectMigratedTestDatabase } from "../../test/support/migrated-database.ts";
import type { Database } from "../platform/db/client.ts";
import { createKeyStore, type KeyPair } from "./keys.ts";

let db: Database;
let close: () => Promise<void>;

before(async () => {
  ({ db, close } = await connectMigratedTestDatabase());
});

after(() => close?.());

/** The modulus of an RSA key in bits, read from its public JWK (RFC 7518 §6.3.1.1: `n`, base64url). */
async function modulusBits(key: KeyPair["publicKey"]): Promise<number> {
  const { n } = (await exportJwk(key)) as { n: string };
  return Buffer.from(n, "base64url").length * 8;
}

test("a new actor gets a 2048-bit RSA key and an Ed25519 key, stored and served again", async () => {
  const keys = createKeyStore(db.sql);
  const [rsa, ed25519] = await keys.keyPairs("0b5e8c5e-6f0a-4d39-9d43-0d1e1f3b2a01", async () => true);
  assert.ok(rsa && ed25519);
  assert.equal(rsa.privateKey.algorithm.name, "RSASSA-PKCS1-v1_5");
  assert.equal((rsa.privateKey.algorithm as { modulusLength?: number }).modulusLength, 2048);
  assert.equal(await modulusBits(rsa.publicKey), 2048);
  assert.equal(ed25519.privateKey.algorithm.name, "Ed25519");
  // Another process (a fresh store) reads the same pair back.
  const [again] = await createKeyStore(db.sql).keyPairs(
    "0b5e8c5e-6f0a-4d39-9d43-0d1e1f3b2a01",
    async () => false,
  );
  assert.ok(again);
  assert.deepEqual(await exportJwk(again.publicKey), await exportJwk(rsa.publicKey));
});

test("a key stored before (4096 bits, Fedify's size) is served as it is, not replaced", async () => {
  const old = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  await db.sql`
    insert into federation_keys (actor_id, algorithm, private_key, public_key)
    values ('0b5e8c5e-6f0a-4d39-9d43-0d1e1f3b2a02', 'RSASSA-PKCS1-v1_5', ${db.sql.json((await exportJwk(old.privateKey)) as never)},
            ${db.sql.json((await exportJwk(old.publicKey)) as never)})`;
  const [rsa] = await createKeyStore(db.sql).keyPairs(
    "0b5e8c5e-6f0a-4d39-9d43-0d1e1f3b2a02",
    async () => true,
  );
  assert.ok(rsa);
  assert.equal(await modulusBits(rsa.publicKey), 4096);
  assert.deepEqual(await exportJwk(rsa.publicKey), await exportJwk(old.publicKey));
});

test("an id that names no actor gets no keys", async () => {
  assert.deepEqual(
    await createKeyStore(db.sql).keyPairs("0b5e8c5e-6f0a-4d39-9d43-0d1e1f3b2a03", async () => false),
    [],
  );
});

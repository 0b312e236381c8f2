import type { webcrypto } from "node:crypto";
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import type { Sql } from "../platform/db/client.ts";

type Jwk = Awaited<ReturnType<typeof exportJwk>>;
/**
 * A WebCrypto key pair. Named from node:crypto's types: Fedify's declarations name the DOM's global
 * `CryptoKeyPair`, which this project's libraries (ES2024, Node) do not declare, so through Fedify the
 * type would check nothing.
 */
export type KeyPair = webcrypto.CryptoKeyPair;

const ALGORITHMS = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;
const MAX_CACHED = 2000;

/**
 * Modulus of a new actor's RSA key, in bits: 2048, as Mastodon's (`Account#generate_keys`); 112-bit
 * strength, acceptable through 2030 (NIST SP 800-57 Part 1 Rev. 5, tables 2 and 4). Fedify's
 * `generateCryptoKeyPair()` makes 4096-bit keys, and every delivery is one RSA signature: 5.5 ms of
 * CPU at 4096 bits against 1.0 ms at 2048 on the benchmark machine, which made signing the limit of a
 * fan-out (issue 18). Keys are kept for good (actors are never deleted), so a key made now would still
 * sign after 2030: that needs key rotation (an actor `Update` carrying the new key), which FediFlow does
 * not do yet. Keys already stored keep their size.
 */
const RSA_MODULUS_BITS = 2048;

/**
 * A new key pair: RSASSA-PKCS1-v1_5 with SHA-256 and public exponent 65537 (HTTP Signatures), or
 * Ed25519 (Object Integrity Proofs, FEP-8b32). Extractable, because the pair is stored as JWK
 * (`exportJwk` throws a TypeError for a key that is not).
 */
export function generateKeyPair(algorithm: (typeof ALGORITHMS)[number]): Promise<KeyPair> {
  if (algorithm === "Ed25519") return generateCryptoKeyPair(algorithm);
  return crypto.subtle.generateKey(
    {
      name: algorithm,
      modulusLength: RSA_MODULUS_BITS,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
}

interface KeyRow {
  algorithm: (typeof ALGORITHMS)[number];
  private_key: Jwk;
  public_key: Jwk;
}

/**
 * Actor key pairs (RSA for HTTP Signatures, Ed25519 for Object Integrity Proofs), generated on first
 * use and stored in `federation_keys`. Concurrent first uses agree: the first insert wins and everyone
 * reads the stored pair back. Imported keys are cached in process (they never change).
 */
export function createKeyStore(sql: Sql) {
  const cache = new Map<string, Promise<KeyPair[]>>();

  async function load(actorId: string, exists: () => Promise<boolean>): Promise<KeyPair[]> {
    let rows = await sql<KeyRow[]>`
      select algorithm, private_key, public_key from federation_keys where actor_id = ${actorId}`;
    const missing = ALGORITHMS.filter((algorithm) => !rows.some((r) => r.algorithm === algorithm));
    if (missing.length > 0) {
      // Keys are made only for an actor that exists (ids come from request paths).
      if (!(await exists())) return [];
      for (const algorithm of missing) {
        const pair = await generateKeyPair(algorithm);
        await sql`
          insert into federation_keys (actor_id, algorithm, private_key, public_key)
          values (${actorId}, ${algorithm}, ${sql.json((await exportJwk(pair.privateKey)) as never)},
                  ${sql.json((await exportJwk(pair.publicKey)) as never)})
          on conflict (actor_id, algorithm) do nothing`;
      }
      rows = await sql<KeyRow[]>`
        select algorithm, private_key, public_key from federation_keys where actor_id = ${actorId}`;
    }
    const ordered = ALGORITHMS.map((algorithm) => rows.find((r) => r.algorithm === algorithm)).filter(
      (r): r is KeyRow => r !== undefined,
    );
    return Promise.all(
      ordered.map(async (row) => ({
        privateKey: await importJwk(row.private_key, "private"),
        publicKey: await importJwk(row.public_key, "public"),
      })),
    );
  }

  return {
    /**
     * The actor's key pairs, RSA first; none when it has none yet and `exists()` (asked only then, so
     * signing as a known actor costs no lookup of it) says there is no such actor. Stored keys are
     * served as they are: actors are never deleted.
     */
    keyPairs(actorId: string, exists: () => Promise<boolean>): Promise<KeyPair[]> {
      let pending = cache.get(actorId);
      if (!pending) {
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
        pending = load(actorId, exists);
        cache.set(actorId, pending);
        // Nothing for an id that names no actor (yet) is kept: it costs the caller, not the cache.
        pending.then(
          (pairs) => pairs.length === 0 && cache.delete(actorId),
          () => cache.delete(actorId),
        );
      }
      return pending;
    },
  };
}

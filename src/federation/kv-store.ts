import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import type { Sql } from "../platform/db/client.ts";
import { replaceUnstorableDeep } from "../platform/db/text.ts";
import { durationMs } from "./durations.ts";

/**
 * Fedify's key–value store on PostgreSQL (table `federation_kv`), through the service's postgres.js
 * client. Keys are stored as their JSON encoding, so a key prefix is a string prefix of `[a,b` + `,`.
 * Expired rows are invisible at once and deleted by `sweep()` (the worker calls it periodically).
 *
 * Values are written as their JSON text cast to jsonb (see `jsonb()`), so JSON `null` is stored as jsonb `'null'` and
 * reads back as `null`, distinct from an absent key (`undefined`): Fedify's KvKeyCache stores `null`
 * for a key it could not fetch (404, 410, host down) as a negative cache entry with a TTL, and Fedify's
 * KvStore contract (`get` resolves `undefined` only when the key is absent) relies on that.
 * (postgres.js' `sql.json(null)` binds SQL NULL, which the `not null` column refuses.) The values and
 * keys are caches of remote documents, a machine feed: stored by the rule of platform/db/text.ts
 * (U+0000 and unpaired surrogates, which jsonb and text cannot hold, become U+FFFD).
 */
export class PostgresKvStore implements KvStore {
  readonly #sql: Sql;
  readonly #hintPrefixes: string[];
  readonly #hints = new Map<string, { json: string; value: unknown; until: number }>();

  /**
   * `hintPrefixes`: keys under these prefixes are hints that may be read from a short in-process
   * cache and whose unchanged re-writes are skipped (Fedify remembers each remote origin's signature
   * spec per delivery: two statements per delivery otherwise).
   */
  constructor(sql: Sql, hintPrefixes: KvKey[] = []) {
    this.#sql = sql;
    this.#hintPrefixes = hintPrefixes.map((p) => `${encodeKey(p).slice(0, -1)},`);
  }

  #isHint(encoded: string): boolean {
    return this.#hintPrefixes.some((prefix) => encoded.startsWith(prefix));
  }

  #remember(encoded: string, value: unknown): void {
    if (this.#hints.size > 10_000) this.#hints.clear();
    this.#hints.set(encoded, { json: JSON.stringify(value), value, until: Date.now() + HINT_TTL_MS });
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const encoded = encodeKey(key);
    if (this.#isHint(encoded)) {
      const hit = this.#hints.get(encoded);
      if (hit && hit.until > Date.now()) return hit.value as T;
      const value = await this.#read<T>(encoded);
      if (value !== undefined) this.#remember(encoded, value);
      return value;
    }
    return this.#read<T>(encoded);
  }

  async #read<T>(encoded: string): Promise<T | undefined> {
    const [row] = await this.#sql<{ value: T }[]>`
      select value from federation_kv
      where key = ${encoded} and (expires_at is null or expires_at > now())`;
    return row?.value;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const encoded = encodeKey(key);
    if (!options?.ttl && this.#isHint(encoded)) {
      const hit = this.#hints.get(encoded);
      if (hit && hit.until > Date.now() && hit.json === JSON.stringify(value)) return;
      this.#remember(encoded, value);
    } else this.#hints.delete(encoded);
    const ttl = options?.ttl ? durationMs(options.ttl) : undefined;
    await this.#sql`
      insert into federation_kv (key, value, expires_at)
      values (${encodeKey(key)}, ${jsonb(value)}::text::jsonb,
              ${ttl === undefined ? null : new Date(Date.now() + ttl)})
      on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`;
  }

  async delete(key: KvKey): Promise<void> {
    this.#hints.delete(encodeKey(key));
    await this.#sql`delete from federation_kv where key = ${encodeKey(key)}`;
  }

  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const k = encodeKey(key);
    const ttl = options?.ttl ? durationMs(options.ttl) : undefined;
    const expiresAt = ttl === undefined ? null : new Date(Date.now() + ttl);
    const live = this.#sql`(expires_at is null or expires_at > now())`;
    if (expectedValue === undefined) {
      if (newValue === undefined) {
        const [row] = await this.#sql`select 1 from federation_kv where key = ${k} and ${live}`;
        return row === undefined;
      }
      // Absent or expired counts as "undefined": replace an expired row, never a live one.
      const rows = await this.#sql`
        insert into federation_kv (key, value, expires_at)
        values (${k}, ${jsonb(newValue)}::text::jsonb, ${expiresAt})
        on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at
          where federation_kv.expires_at is not null and federation_kv.expires_at <= now()
        returning 1`;
      return rows.length === 1;
    }
    const expected = jsonb(expectedValue);
    if (newValue === undefined) {
      const rows = await this.#sql`
        delete from federation_kv where key = ${k} and value = ${expected}::text::jsonb and ${live} returning 1`;
      return rows.length === 1;
    }
    const rows = await this.#sql`
      update federation_kv set value = ${jsonb(newValue)}::text::jsonb, expires_at = ${expiresAt}
      where key = ${k} and value = ${expected}::text::jsonb and ${live}
      returning 1`;
    return rows.length === 1;
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const exact = prefix ? encodeKey(prefix) : undefined;
    const rows = await this.#sql<{ key: string; value: unknown }[]>`
      select key, value from federation_kv
      where (expires_at is null or expires_at > now())
      ${exact ? this.#sql`and (key = ${exact} or starts_with(key, ${`${exact.slice(0, -1)},`}))` : this.#sql``}
      order by key`;
    for (const row of rows) yield { key: JSON.parse(row.key) as KvKey, value: row.value };
  }

  /** Deletes expired rows; returns how many. */
  async sweep(): Promise<number> {
    const rows = await this.#sql`
      delete from federation_kv where key in (
        select key from federation_kv where expires_at <= now() limit 1000)
      returning 1`;
    return rows.length;
  }
}

const HINT_TTL_MS = 60_000;

function encodeKey(key: KvKey): string {
  return JSON.stringify(replaceUnstorableDeep(key));
}

/**
 * The JSON text of a value, bound as `${text}::text::jsonb` (`null` → `'null'`, never SQL NULL). The
 * `::text` matters: a parameter typed jsonb is JSON-encoded again by postgres.js (a string value).
 */
function jsonb(value: unknown): string {
  return JSON.stringify(replaceUnstorableDeep(value) ?? null);
}

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../src/platform/db/embedded.ts";

export interface TestDatabase {
  /** Environment for the service: DATABASE_URL for real PostgreSQL, DATA_DIR for embedded PGlite. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: a fresh database on the PostgreSQL server named by
 * TEST_DATABASE_URL (dropped afterwards), or else an embedded PGlite in a temporary directory.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dir = await mkdtemp(join(tmpdir(), "fediflow-test-"));
    return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = `fediflow_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    async drop() {
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/** Environment for the cache: TEST_REDIS_URL when set, else the in-process store. */
export function testCacheEnv(): Record<string, string> {
  return process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {};
}

/**
 * A PostgreSQL to ask: the server named by TEST_DATABASE_URL (a fresh database), else the embedded
 * PGlite the service itself falls back to (the same SQLSTATEs). `options` go to postgres.js (e.g.
 * `debug`, called with every statement sent).
 */
export async function serverDatabase(
  options: postgres.Options<Record<string, postgres.PostgresType>> = {},
): Promise<{ sql: postgres.Sql; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const embedded = database.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(database.env.DATA_DIR as string, 1);
  const sql = postgres(database.env.DATABASE_URL ?? (embedded?.url as string), {
    max: 1,
    onnotice: () => {},
    ...options,
  });
  return {
    sql,
    async close() {
      await sql.end();
      await embedded?.stop();
      await database.drop();
    },
  };
}

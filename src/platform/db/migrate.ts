import { readdir, readFile } from "node:fs/promises";
import type { Sql } from "./client.ts";

const migrationsDirectory = new URL("./migrations/", import.meta.url);
// Any fixed 64-bit number works; it only has to be the same for every instance of this service.
const MIGRATION_LOCK_ID = 7_303_202_611;

// PGlite multiplexes every connection onto one backend session, where advisory locks are re-entrant:
// runs inside one process are therefore also chained here.
let previousRun: Promise<unknown> = Promise.resolve();

/**
 * Applies `migrations/NNN_name.sql` in order, each in its own transaction, recorded in
 * `schema_migrations`. A session-level advisory lock makes concurrent start-ups wait for each other.
 */
export function migrate(sql: Sql): Promise<string[]> {
  const run = previousRun.then(() => migrateLocked(sql));
  previousRun = run.catch(() => {});
  return run;
}

async function migrateLocked(sql: Sql): Promise<string[]> {
  const files = (await readdir(migrationsDirectory))
    .filter((name) => /^\d{3}_[a-z0-9_]+\.sql$/.test(name))
    .sort();
  const connection = await sql.reserve();
  const applied: string[] = [];
  try {
    // Waiting for another process's migrations and building an index may take longer than the pool's
    // statement bound (client.ts serverTimeouts): lifted for this session, restored before release.
    await connection`select set_config('statement_timeout', '0', false), set_config('idle_in_transaction_session_timeout', '0', false)`;
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await connection`create table if not exists schema_migrations (
      name text primary key,
      applied_at timestamptz not null default now()
    )`;
    const done = new Set(
      (await connection<{ name: string }[]>`select name from schema_migrations`).map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const body = await readFile(new URL(file, migrationsDirectory), "utf8");
      try {
        await connection
          .unsafe(
            `begin;\n${body}\ninsert into schema_migrations (name) values ('${file.replaceAll("'", "''")}');\ncommit;`,
          )
          .simple();
      } catch (error) {
        await connection`rollback`.catch(() => {});
        throw new Error(`Migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(file);
    }
  } finally {
    await connection`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.catch(() => {});
    await connection`reset statement_timeout`.catch(() => {});
    await connection`reset idle_in_transaction_session_timeout`.catch(() => {});
    connection.release();
  }
  return applied;
}

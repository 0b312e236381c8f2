import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort } from "./processes.ts";

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL for tests that need the server itself (postgres-exporter, pg_stat_statements):
 * the one named by TEST_DATABASE_URL, or else a throwaway cluster from Debian's server binaries in a
 * temporary directory on a free port, with pg_stat_statements preloaded. `isolated`: always the
 * throwaway cluster, for counts in pg_stat_statements that nobody else resets or evicts meanwhile.
 */
export async function realPostgres({ isolated = false } = {}): Promise<PostgresServer> {
  if (process.env.TEST_DATABASE_URL && !isolated)
    return { url: process.env.TEST_DATABASE_URL, stop: async () => {} };
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b));
  const bin = join("/usr/lib/postgresql", versions.at(-1) ?? "15", "bin");
  const dir = mkdtempSync(join(tmpdir(), "fediflow-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  // PostgreSQL refuses to run as root: run its binaries as the postgres user then.
  const asOwner = (command: string, args: string[]) =>
    process.getuid?.() === 0
      ? execFileSync("runuser", ["-u", "postgres", "--", command, ...args], { stdio: "pipe" })
      : execFileSync(command, args, { stdio: "pipe" });
  asOwner(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  asOwner(join(bin, "pg_ctl"), [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements`,
    "start",
  ]);
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`create extension if not exists pg_stat_statements`;
  await sql.end();
  return {
    url,
    async stop() {
      asOwner(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Regression test for the postgres.js patch (patches/postgres+3.4.9.patch), without FediFlow: transactions
 * and reserved connections whose backends are terminated once a second, on a PostgreSQL cluster of the
 * test's own. The patched driver must keep the process alive, settle every query and never run a dead
 * transaction's query outside it, on Node, Bun and Deno; the unpatched driver (the patch reversed on a
 * copy) must still crash, which proves the reproduction reproduces.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import postgres from "postgres";
import { runtimeCommand } from "../support/spawn.ts";
import { PostgresCluster } from "./support/servers.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const fixture = join(import.meta.dirname, "fixtures", "postgres-js-terminate.ts");

let cluster: PostgresCluster;
before(async () => {
  cluster = await PostgresCluster.create();
});
after(async () => {
  await cluster?.destroy();
});

interface Report {
  queries: number;
  rejected: number;
  pending: number;
  pendingByKind: Record<string, number>;
  pendingAgesMs: number[];
  workersFinished: boolean;
  terminated: number;
  halves: number;
}

/** Runs the fixture as its own process; resolves with its exit code, report and stderr. */
async function reproduce(
  runtime: "node" | "bun" | "deno",
  env: Record<string, string> = {},
): Promise<{ code: number; report: Report | undefined; stderr: string }> {
  const [command, ...preloadArgs] = runtimeCommand(runtime);
  // runtimeCommand ends with the telemetry preload and src/main.ts: keep only the runtime's own arguments.
  const args = preloadArgs.slice(
    0,
    preloadArgs.findIndex((a) => a === "--import" || a === "--preload"),
  );
  try {
    const { stdout, stderr } = await run(command as string, [...args, fixture], {
      cwd: root,
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DENO_NO_UPDATE_CHECK: "1",
        DATABASE_URL: cluster.url,
        ...env,
      },
    });
    return { code: 0, report: JSON.parse(stdout.trim().split("\n").at(-1) ?? "null"), stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string; stdout?: string };
    return { code: failed.code ?? -1, report: undefined, stderr: `${failed.stderr}${failed.stdout}` };
  }
}

for (const runtime of ["node", "bun", "deno"] as const) {
  test(`patched postgres.js on ${runtime}: the process survives, every query settles, transactions stay atomic`, async () => {
    const { code, report, stderr } = await reproduce(runtime);
    assert.equal(code, 0, `the process exited with ${code}:\n${stderr}`);
    assert.ok(report, "the fixture printed its report");
    assert.ok(report.terminated >= 3, `backends were terminated (${report.terminated})`);
    assert.ok(report.rejected > 0, "terminated connections rejected some queries");
    assert.equal(
      report.pending,
      0,
      `queries still pending: ${JSON.stringify(report.pendingByKind)}, waiting for ${report.pendingAgesMs.join(", ")} ms; report ${JSON.stringify(report)}`,
    );
    assert.ok(report.workersFinished, "every worker finished");
    assert.equal(report.halves, 0, "no transaction left half of its rows");
  });
}

/** A copy of node_modules/postgres with the patch reversed: postgres.js 3.4.9 as published. */
async function unpatchedCopy(dir: string): Promise<string> {
  cpSync(join(root, "node_modules", "postgres"), join(dir, "node_modules", "postgres"), { recursive: true });
  // The patch file's paths are a/node_modules/postgres/…: -p1 inside the copy's parent directory.
  await run("patch", ["-R", "-p1", "-s", "-i", join(root, "patches", "postgres+3.4.9.patch")], { cwd: dir });
  return join(dir, "node_modules", "postgres", "src", "index.js");
}

test("unpatched postgres.js 3.4.9 (the patch reversed on a copy) crashes on the same reproduction", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fediflow-unpatched-"));
  try {
    const { code, stderr } = await reproduce("node", { POSTGRES_MODULE: await unpatchedCopy(dir) });
    assert.notEqual(code, 0, "the unpatched driver did not crash");
    assert.match(stderr, /Cannot read properties of null \(reading 'write'\)[\s\S]*nextWrite/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A query cancelled while it waits as the first query of a reconnecting connection (what the service's
 * DATABASE_QUERY_TIMEOUT_MS does to a query still waiting during an outage): with one connection in the
 * pool, the next query settles only if that connection was not stranded.
 */
async function nextQueryAfterCancelledFirst(): Promise<string> {
  const application = `cancel-first-${process.pid}`;
  const sql = postgres(cluster.url, {
    max: 1,
    backoff: () => 0.2,
    onnotice: () => {},
    connection: { application_name: application },
  });
  const killer = postgres(cluster.url, { max: 1, onnotice: () => {} });
  try {
    await sql`select 1`;
    // A transaction holds the only connection, so the next query waits in the pool's queue.
    const holding = sql.begin((tx) => tx`select pg_sleep(2)`).catch(() => undefined);
    const waiting = sql`select 2`;
    const waited = waiting.catch((error: { code?: string }) => error.code);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The connection dies: the pool reconnects it with the waiting query as its first query.
    await killer`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${application}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
    waiting.cancel();
    await Promise.all([holding, waited]);
    return await Promise.race([
      sql<{ three: number }[]>`select 3 as three`.then(([row]) => `settled ${row?.three}`),
      new Promise<string>((resolve) => setTimeout(() => resolve("still pending after 5 s"), 5000)),
    ]);
  } finally {
    await Promise.all([sql.end({ timeout: 0 }), killer.end({ timeout: 0 })]);
  }
}

test("a query cancelled while it is a reconnecting connection's first query does not strand the connection", async () => {
  // Without the patch's `first.cancelled` hunk (the rest applied) the next query stays pending forever;
  // postgres.js 3.4.9 as published crashes before it gets there when a transaction holds the connection.
  assert.equal(await nextQueryAfterCancelledFirst(), "settled 3");
});

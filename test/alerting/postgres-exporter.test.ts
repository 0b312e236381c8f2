// The custom queries of prometheus/postgres-exporter/queries.yaml (the spec's database monitoring SQL,
// with PostgreSQL 13+ column names) run in the real postgres-exporter, configured as compose does
// (DATA_SOURCE_NAME, PG_EXPORTER_EXTEND_QUERY_PATH), against a real PostgreSQL. It is Debian's 0.11.1,
// not the 0.18.1 compose ships: the Go module proxy refuses postgres_exporter (403), so that release
// cannot be built here; both read this queries.yaml format (README, "Versions").
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import postgres from "postgres";
import { type PostgresServer, realPostgres } from "../support/postgres-server.ts";
import { freePort, type RunningProcess, startProcess } from "../support/processes.ts";
import { ROOT } from "./support.ts";

let server: PostgresServer;
let exporter: RunningProcess;
let metricsUrl = "";

before(async () => {
  server = await realPostgres();
  // A statement frequent enough for the query's `calls > 100` filter (the spec's).
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  for (let i = 0; i < 120; i++) await sql`select count(*) from pg_class where relkind = ${"r"}`;
  await sql.end();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const dsn = new URL(server.url);
  dsn.searchParams.set("sslmode", "disable");
  process.env.DATA_SOURCE_NAME = dsn.toString();
  process.env.PG_EXPORTER_EXTEND_QUERY_PATH = `${ROOT}/prometheus/postgres-exporter/queries.yaml`;
  exporter = await startProcess(
    "prometheus-postgres-exporter",
    [`--web.listen-address=127.0.0.1:${port}`],
    metricsUrl,
  );
});
after(async () => {
  await exporter?.stop();
  await server?.stop();
});

test("postgres-exporter exports the custom query metrics", async () => {
  const text = await (await fetch(metricsUrl)).text();
  assert.ok(/^pg_up 1$/m.test(text), "the exporter reached PostgreSQL");
  for (const name of [
    "pg_stat_statements_calls",
    "pg_stat_statements_total_exec_time_seconds",
    "pg_stat_statements_mean_exec_time_seconds",
    "pg_connections_count",
    "pg_connections_avg_state_duration_seconds",
    "pg_lock_waits_waiting",
  ]) {
    assert.ok(new RegExp(`^${name}\\{`, "m").test(text), `${name} exported`);
  }
  assert.ok(/^pg_exporter_last_scrape_error 0$/m.test(text), "no custom query failed");
  assert.ok(/^pg_exporter_user_queries_load_error\{[^}]*\} 0$/m.test(text), "queries.yaml loaded");
});

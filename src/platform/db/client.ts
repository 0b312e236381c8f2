import postgres, { type Sql } from "postgres";

export type { Sql } from "postgres";

import type { Config } from "../../config.ts";
import type { EmbeddedPostgres } from "./embedded.ts";
import { type PoolUsage, traceSql } from "./traced-sql.ts";

export interface Database {
  sql: Sql;
  kind: "postgresql" | "embedded";
  poolName: string;
  usage: PoolUsage;
  close(timeoutSeconds?: number): Promise<void>;
}

/**
 * Timestamps stay strings: the session runs in UTC, so PostgreSQL's text form only needs its separator
 * and zone rewritten to be ISO 8601. The API returns them as they are, without a Date round trip per
 * column (a measurable share of a list request's CPU). The usual form `YYYY-MM-DD hh:mm:ss[.ffffff]+00`
 * is cut by position (two regex replacements per value were 8 KB of garbage per 20-row page); years
 * beyond 9999 and BC dates take the general path.
 */
const utcTimestamp = {
  to: 1184,
  from: [1184],
  serialize: (value: string | Date) => (value instanceof Date ? value.toISOString() : value),
  parse: (value: string) =>
    value.charCodeAt(10) === 32 && value.endsWith("+00")
      ? `${value.slice(0, 10)}T${value.slice(11, -3)}Z`
      : `${value.replace(" ", "T").replace(/\+00$/, "")}Z`,
};

/**
 * Seconds before a closed connection reconnects, after `retries` failed attempts (shared by the pool).
 * postgres.js' default grows to 10–20 s, so the pool stayed asleep long after PostgreSQL was back;
 * capped at half a second, a pool of 10 tries at most 20 times a second while the server is down.
 */
const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 0.5);

/**
 * The server's own bounds for a session of the pool (PostgreSQL §20.11.1 Statement Behavior), the
 * backstop of the client's DATABASE_QUERY_TIMEOUT_MS: a statement the client stopped waiting for is
 * cancelled rather than left running (holding its locks), and a transaction nobody drives any more (its
 * request answered 503 while its connection was stuck, say across a restart) is ended by the server,
 * which closes the connection, so the pool gets it back and its locks are released. Our transactions
 * run statement after statement without waiting on anything else, so twice the statement bound is
 * ample. Migrations lift both for their own session (migrate.ts).
 */
function serverTimeouts(queryTimeoutMs: number): Record<string, string> {
  return {
    statement_timeout: String(queryTimeoutMs),
    idle_in_transaction_session_timeout: String(2 * queryTimeoutMs),
  };
}

/** Connects to DATABASE_URL, or to an embedded PGlite server when it is unset. */
export async function connectDatabase(config: Config["database"]): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.url;
  if (!url) {
    // Loaded only when used: PGlite and its socket server are not resident in a PostgreSQL deployment.
    const { startEmbeddedPostgres } = await import("./embedded.ts");
    embedded = await startEmbeddedPostgres(config.dataDir, config.poolMax);
    url = embedded.url;
  }
  const parsed = new URL(url);
  const raw = postgres(url, {
    max: config.poolMax,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 60,
    backoff: reconnectBackoff,
    // Spans and logs carry the statement text; connection parameters never leave this module. PGlite
    // (one in-process backend, nothing to restart) keeps its defaults.
    connection: {
      application_name: "fediflow-api",
      TimeZone: "UTC",
      ...(embedded ? {} : serverTimeouts(config.queryTimeoutMs)),
    },
    types: { timestamptz: utcTimestamp },
  });
  const usage: PoolUsage = { max: config.poolMax, inFlight: 0 };
  const sql = traceSql(
    raw,
    {
      namespace: decodeURIComponent(parsed.pathname.slice(1)) || "postgres",
      serverAddress: parsed.hostname,
      serverPort: Number(parsed.port || 5432),
    },
    usage,
    config.queryTimeoutMs,
  );
  return {
    sql,
    kind: embedded ? "embedded" : "postgresql",
    poolName: "main",
    usage,
    async close(timeoutSeconds = 5) {
      await raw.end({ timeout: timeoutSeconds });
      await embedded?.stop();
    },
  };
}

/** Runs `work` in a transaction; the transaction handle accepts every query the pool does. */
export function transaction<T>(sql: Sql, work: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin((tx) => work(tx as unknown as Sql)) as Promise<T>;
}

/**
 * Runs `work` in a savepoint of the transaction `tx` (SQL:2016 §17.5): if it throws, only its own
 * statements are rolled back and the transaction goes on; the error is rethrown.
 */
export function savepoint<T>(tx: Sql, work: (sp: Sql) => Promise<T>): Promise<T> {
  const handle = tx as unknown as postgres.TransactionSql;
  return handle.savepoint((sp) => work(sp as unknown as Sql)) as Promise<T>;
}

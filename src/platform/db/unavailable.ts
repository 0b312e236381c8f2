/**
 * Which database errors mean "the database is unavailable, retry later" (HTTP 503) as opposed to a
 * client's fault or a bug. postgres.js reports three kinds of codes on its errors: SQLSTATEs from the
 * server, its own connection codes, and Node's socket error codes.
 */

/** A statement (or the wait for a connection) exceeded DATABASE_QUERY_TIMEOUT_MS and was cancelled. */
export class DatabaseTimeoutError extends Error {
  override name = "DatabaseTimeoutError";
  readonly code = "DATABASE_TIMEOUT";
  constructor(timeoutMs: number) {
    super(`The database did not answer within ${timeoutMs} ms`);
  }
}

/** postgres.js's own connection codes (src/errors.js) and our timeout. */
const CLIENT_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "DATABASE_TIMEOUT",
]);

/** Node socket errors: refused, reset, broken pipe, unreachable, timed out, name resolution. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs (PostgreSQL Appendix A) that say the server cannot serve now: class 08 (connection
 * exception), class 53 (insufficient resources: too many connections, out of memory, disk full),
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / shutting down),
 * 57P05 idle_session_timeout; and the server's own bounds (client.ts sets them): 57014 query_canceled
 * (statement_timeout) and 25P03 idle_in_transaction_session_timeout.
 */
function unavailableSqlState(code: string): boolean {
  return (
    /^(08|53)[0-9A-Z]{3}$/.test(code) ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    code === "57P05" ||
    code === "57014" ||
    code === "25P03"
  );
}

/** True when `error` (or an error in its `cause` chain) means the database is unavailable right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      (CLIENT_CODES.has(code) || SOCKET_CODES.has(code) || unavailableSqlState(code))
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Which database errors a client caused, by SQLSTATE class (PostgreSQL manual, Appendix A "PostgreSQL
 * Error Codes"; the classes come from SQL:2016 Part 2 §24.1).
 *
 * - Class 22, data exception: a value the client sent cannot be stored or compared as given (U+0000 in
 *   text 22021, `\u0000` in jsonb 22P05, a number out of range 22003, a too-long string 22001, an
 *   unparsable uuid or timestamp 22P02/22007/22008, …). The request is well-formed but its content is
 *   not processable: 422 (RFC 9110 §15.5.21). Every code of the class, including ones added later,
 *   answers so: none of them is a server fault.
 * - Class 23, integrity constraint violation: the row conflicts with what is stored (unique 23505,
 *   foreign key 23503, exclusion 23P01 → 409 Conflict, RFC 9110 §15.5.10) or breaks a rule of the
 *   table (not null 23502, check 23514 → 422).
 *
 * Anything else (connections, resources, bugs in SQL) is not the client's fault and returns undefined.
 */

export interface ClientDatabaseError {
  status: 409 | 422;
  code: string;
  message: string;
}

interface PostgresErrorFields {
  code?: unknown;
  constraint_name?: unknown;
  column_name?: unknown;
}

/** Maps a driver error (postgres.js `PostgresError`, or anything with a SQLSTATE `code`) to a 4xx, or undefined. */
export function clientErrorFromDatabase(error: unknown): ClientDatabaseError | undefined {
  if (!error || typeof error !== "object") return undefined;
  const { code, constraint_name: constraint, column_name: column } = error as PostgresErrorFields;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const where = typeof column === "string" ? ` (${column})` : "";
  if (code.startsWith("22")) {
    return {
      status: 422,
      code: "unprocessable_value",
      message: `A value cannot be stored as given${where}: SQLSTATE ${code}`,
    };
  }
  switch (code) {
    case "23505":
    case "23P01":
      return {
        status: 409,
        code: "conflict",
        message: `Already exists (${typeof constraint === "string" ? constraint : "unique constraint"})`,
      };
    case "23503":
      return { status: 409, code: "conflict", message: "A referenced row does not exist" };
    default:
      if (code.startsWith("23")) {
        return {
          status: 422,
          code: "constraint_violation",
          message: `A value breaks a rule of the data${where}: SQLSTATE ${code}`,
        };
      }
      return undefined;
  }
}

import { z } from "@hono/zod-openapi";

/**
 * Keyset-paging cursors whose documented form and accepted form are the same set of strings.
 *
 * A cursor is the 16 bytes of the last row's UUID, base64url without padding (RFC 4648 §5): 22
 * characters, the last of which carries only 2 bits (`A`, `Q`, `g` or `w`). Every string that matches
 * {@link CURSOR_PATTERN} decodes to some 128-bit value, and every 128-bit value is a position in a list
 * ordered by UUID: a cursor the API never issued is therefore not an error, it is a place in the list
 * (possibly after its end, giving an empty page). This is what lets the OpenAPI document state the
 * whole rule (`pattern`), so generated clients and fuzzers agree with the service.
 */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

export const cursorParameter = z
  .string()
  .regex(CURSOR_PATTERN, "must be a `next_cursor` value: 22 base64url characters")
  .optional()
  .openapi({ description: "`next_cursor` of the previous page (22 base64url characters)" });

/** The cursor that resumes a list after the row with this UUID. */
export function encodeCursor(uuid: string): string {
  return Buffer.from(uuid.replaceAll("-", ""), "hex").toString("base64url");
}

/** The UUID (canonical lower-case text) a cursor points after; `null` for no cursor (the first page). */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === "") return null;
  if (!CURSOR_PATTERN.test(cursor)) throw new RangeError("not a cursor");
  const hex = Buffer.from(cursor, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

import { z } from "@hono/zod-openapi";
import { isUuid } from "../ids.ts";
import { badRequest } from "./errors.ts";

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size (1-100)" }),
  cursor: z.string().max(64).optional().openapi({ description: "`next_cursor` of the previous page" }),
});

export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Cursors are opaque to clients; inside they are the last row's time-ordered id. */
export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!isUuid(id)) throw badRequest("cursor is not a cursor returned by this API");
  return id;
}

/**
 * Rows were fetched with `limit + 1` to learn whether another page exists; `serialize` turns each row
 * of the page into its API form.
 */
export function toPage<T extends { id: string }, R = T>(
  rows: T[],
  limit: number,
  serialize: (row: T) => R = (row) => row as unknown as R,
): Page<R> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(serialize),
    next_cursor: rows.length > limit && last ? Buffer.from(last.id, "utf8").toString("base64url") : null,
  };
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

import { z } from "@hono/zod-openapi";
import type { PageRequest, Slice } from "../db/keyset.ts";
import { cursorParameter, decodeCursor, encodeCursor } from "./cursor.ts";

/**
 * The `limit` and `cursor` query parameters of every list route. The cursor's documented pattern is
 * exactly the set of accepted cursors (see cursor.ts): a value outside it is a 400 from validation, a
 * value inside it is a position in the list.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size (1-100)" }),
  cursor: cursorParameter,
});

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** The store's page request for validated `pageQuery` values. */
export function pageRequest(query: { limit: number; cursor?: string | undefined }): PageRequest {
  return { after: decodeCursor(query.cursor), limit: query.limit };
}

/** A store's slice in its API form: each row serialized, the continuation as a cursor. */
export function toPage<T, R = T>(
  slice: Slice<T>,
  serialize: (row: T) => R = (row) => row as unknown as R,
): Page<R> {
  return { items: slice.items.map(serialize), next_cursor: slice.next ? encodeCursor(slice.next) : null };
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

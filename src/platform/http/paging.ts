import { z } from "@hono/zod-openapi";
import type { PageRequest, Slice } from "../db/keyset.ts";
import { isUuid } from "../ids.ts";
import { badRequest } from "./errors.ts";

/** The `limit` and `cursor` query parameters of every list route. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size (1-100)" }),
  cursor: z.string().max(64).optional().openapi({ description: "`next_cursor` of the previous page" }),
});

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Cursors are opaque to clients; inside they are the last row's time-ordered id (base64url). */
export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!isUuid(id)) throw badRequest("cursor is not a cursor returned by this API");
  return id;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/** The store's page request for validated `pageQuery` values; a foreign cursor is a 400. */
export function pageRequest(query: { limit: number; cursor?: string | undefined }): PageRequest {
  return { after: decodeCursor(query.cursor), limit: query.limit };
}

/** A store's slice in its API form: each row serialized, the continuation as an opaque cursor. */
export function toPage<T, R = T>(
  slice: Slice<T>,
  serialize: (row: T) => R = (row) => row as unknown as R,
): Page<R> {
  return { items: slice.items.map(serialize), next_cursor: slice.next ? encodeCursor(slice.next) : null };
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

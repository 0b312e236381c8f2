import type { PendingQuery, Row, Sql } from "postgres";

/** A keyset page request: rows whose `id` sorts after `after` (null: from the start), at most `limit`. */
export interface PageRequest {
  after: string | null;
  limit: number;
}

/** One page in `id` order, and the id to continue after when more rows exist (else null). */
export interface Slice<T> {
  items: T[];
  next: string | null;
}

/** The fragments a paged select splices in: `after` into its WHERE clause, `page` at its end. */
export interface KeysetFragments {
  /** `and id > $after` (`<` when descending), or nothing on the first page. */
  after: PendingQuery<Row[]>;
  /** `order by id [desc] limit $limit + 1`. */
  page: PendingQuery<Row[]>;
}

/**
 * Keyset pagination over time-ordered UUIDv7 ids, for every list in the service: oldest first, or
 * newest first with `order` "descending" (ActivityPub's OrderedCollections, §5). The select fetches one
 * row more than asked for; that row only tells whether another page exists and is never returned.
 */
export async function keysetPage<T extends { id: string }>(
  sql: Sql,
  request: PageRequest,
  select: (fragments: KeysetFragments) => PromiseLike<T[]>,
  order: "ascending" | "descending" = "ascending",
): Promise<Slice<T>> {
  const descending = order === "descending";
  const rows = await select({
    after: request.after
      ? descending
        ? sql`and id < ${request.after}`
        : sql`and id > ${request.after}`
      : sql``,
    page: descending
      ? sql`order by id desc limit ${request.limit + 1}`
      : sql`order by id limit ${request.limit + 1}`,
  });
  const items = rows.slice(0, request.limit);
  return { items, next: rows.length > request.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * `published` and `updated` of an outgoing post (ActivityStreams 2.0 vocabulary §4: xsd:dateTime).
 * Mastodon dates a post by `published` (arrival time otherwise) and shows it as edited, with
 * `updated`, only when `updated` is present and later than `published`. The same values go on the
 * object and on the Create/Update that carries it; an Update carries the edit time as its `published`.
 */
export function publicationDates(row: { created_at: string | Date; updated_at?: string | Date | null }): {
  published: string;
  updated?: string;
} {
  const published = new Date(row.created_at);
  if (Number.isNaN(published.getTime()))
    throw new RangeError(`Invalid created_at: ${String(row.created_at)}`);
  const result: { published: string; updated?: string } = { published: published.toISOString() };
  if (row.updated_at) {
    const updated = new Date(row.updated_at);
    if (!Number.isNaN(updated.getTime()) && updated.getTime() > published.getTime()) {
      result.updated = updated.toISOString();
    }
  }
  return result;
}

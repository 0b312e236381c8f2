import { Temporal as Polyfill } from "@js-temporal/polyfill";

/**
 * `published` and `updated` of an outgoing post (ActivityStreams 2.0 vocabulary §4: xsd:dateTime), as
 * the Temporal.Instant values Fedify's vocabulary takes. Mastodon dates a post by `published` (arrival
 * time otherwise) and shows it as edited, with `updated`, only when `updated` is present and later
 * than `published`. The same values go on the object and on the Create that carries it; an Update or
 * Delete carries its own time (`instantOf` its row's `created_at`) as its `published`.
 * Timestamps arrive from the database as Date or ISO 8601 text; an invalid one is a RangeError.
 */
export function publicationDates(row: { created_at: string | Date; updated_at?: string | Date | null }): {
  published: Temporal.Instant;
  updated?: Temporal.Instant;
} {
  const published = instantOf(row.created_at);
  const updated = row.updated_at ? instantOf(row.updated_at) : undefined;
  return updated && updated.epochNanoseconds > published.epochNanoseconds
    ? { published, updated }
    : { published };
}

/**
 * A database timestamp as a Temporal.Instant (RangeError when invalid). Node has no built-in Temporal
 * yet: the value is the polyfill's, which Fedify itself uses at run time; its declared type is the
 * standard one Fedify's vocabulary declares (TypeScript's `esnext.temporal` lib).
 */
export function instantOf(value: string | Date): Temporal.Instant {
  const ms = new Date(value).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`Invalid timestamp: ${String(value)}`);
  return Polyfill.Instant.fromEpochMilliseconds(ms) as unknown as Temporal.Instant;
}

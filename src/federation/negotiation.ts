/**
 * Content negotiation for ActivityPub documents (`/ap/*` GETs). Fedify serves an actor, object or
 * collection only when Accept names `application/activity+json`, `application/ld+json` or
 * `application/json`, and answers 406 otherwise — also when there is no Accept header or only `*\/*`,
 * which RFC 9110 §12.5.1 reads as "any media type is acceptable" (curl, many HTTP libraries, some
 * fediverse fetchers). FediFlow has no HTML representation, so such a request gets the ActivityPub
 * one; only a request that names a concrete other type (a browser's `text/html`) is a 406.
 */
export const ACTIVITY_JSON = "application/activity+json";

/**
 * The Accept header to hand Fedify: `application/activity+json` when `accept` is absent, empty or made
 * of wildcard ranges only (`*\/*`, `application/*`, with any parameters); otherwise `accept` unchanged.
 */
export function acceptForFedify(accept: string | null): string | null {
  const ranges = (accept ?? "")
    .split(",")
    .map((range) => range.split(";")[0]?.trim().toLowerCase() ?? "")
    .filter((type) => type !== "");
  return ranges.every((type) => type === "*/*" || type === "application/*") ? ACTIVITY_JSON : accept;
}

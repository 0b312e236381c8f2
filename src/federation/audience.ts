/**
 * Addressing (`to`/`cc`) and the visibility a receiver derives from it, as Mastodon reads it
 * (app/lib/activitypub/activity/create.rb, `visibility_from_audience`): Public in `to` → public; Public
 * in `cc` → unlisted; the sender's followers collection in `to` or `cc` → followers-only ("private");
 * anything else → direct ("limited"/"direct"). `to`/`cc` arrive as a string or an array, and the Public
 * collection as its full IRI or the compact `as:Public` / `Public` (ActivityPub §5.6).
 */

export const PUBLIC_COLLECTION = "https://www.w3.org/ns/activitystreams#Public";
const PUBLIC_FORMS = new Set([PUBLIC_COLLECTION, "as:Public", "Public"]);

export type Visibility = "public" | "unlisted" | "followers" | "direct";

/**
 * The id one ActivityStreams reference names (`actor`, `object`, an item of `to`…): the IRI itself when
 * it is a string, an embedded object's `id`; undefined for anything else (an array, a missing id).
 */
export function referenceId(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  const id = (value as { id?: unknown } | null | undefined)?.id;
  return typeof id === "string" ? id : undefined;
}

/** A `to`/`cc`/`audience` value as a list of ids: strings kept, objects by their `id`, the rest dropped. */
export function idList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.flatMap((item) => referenceId(item) ?? []);
}

const isPublic = (id: string) => PUBLIC_FORMS.has(id);

/**
 * The visibility of an activity or object addressed with `to`/`cc`, for a sender whose followers
 * collections are `followers` (a course's and its author's, for FediFlow's own posts).
 */
export function visibilityOf(addressing: { to?: unknown; cc?: unknown }, followers: string[]): Visibility {
  const to = idList(addressing.to);
  const cc = idList(addressing.cc);
  if (to.some(isPublic)) return "public";
  if (cc.some(isPublic)) return "unlisted";
  if ([...to, ...cc].some((id) => followers.includes(id))) return "followers";
  return "direct";
}

/**
 * `to`/`cc` for an outgoing post so that Mastodon shows it with `visibility`: public → to Public, cc the
 * followers collections; unlisted → to the followers, cc Public; followers → to the followers only.
 * Update and Delete of a post reuse its Create's addressing, so they reach the same audience.
 */
export function addressingFor(
  visibility: Exclude<Visibility, "direct">,
  followers: string[],
): { to: string[]; cc: string[] } {
  switch (visibility) {
    case "public":
      return { to: [PUBLIC_COLLECTION], cc: [...followers] };
    case "unlisted":
      return { to: [...followers], cc: [PUBLIC_COLLECTION] };
    case "followers":
      return { to: [...followers], cc: [] };
  }
}

/**
 * The `resource` of a WebFinger query (RFC 7033 §4.1) as the fediverse sends it, normalised for Fedify,
 * which accepts only `acct:user@host` or an actor URL:
 * - a bare `user@host` or `@user@host` (Mastodon's WebfingerResource accepts both) → `acct:user@host`;
 * - the scheme in any case (`ACCT:`) → `acct:`; the host lower-cased (RFC 3986 §3.2.2: hosts are
 *   case-insensitive). The user part keeps its case: handles are matched case-insensitively by the
 *   lookup itself (Mastodon, Pleroma and Misskey do; Misskey sends them lower-cased).
 * Anything else is returned unchanged (Fedify answers 400/404 for it).
 */
export function normalizeWebFingerResource(resource: string): string {
  const value = resource.trim();
  if (/^https?:\/\//i.test(value)) return value;
  const match = /^(?:acct:)?@?([^@\s/?#:]+)@([^@\s/?#]+)$/i.exec(value);
  if (!match) return value;
  return `acct:${match[1]}@${(match[2] as string).toLowerCase()}`;
}

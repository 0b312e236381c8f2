/**
 * What to answer for an activity whose signature could not be verified (Fedify's
 * `onUnverifiedActivity`). Mastodon deletes an account by sending `Delete{actor: X, object: X}`, signed
 * with X's key, to every inbox it knows; by then X's actor document (and so its key) answers 410 Gone, or
 * 404. Mastodon itself accepts such a Delete of an actor it cannot fetch and ignores it (202), and the
 * sender retries any 5xx (and many 4xx) for days. So: a self-Delete whose key fetch answered 404/410 →
 * 202 (the receiver may drop what it keeps of X); any other unverifiable signature → 401.
 *
 * The key must be X's own: its id is X's document (`X#main-key`, Mastodon's form) or below it
 * (`X/main-key`). Otherwise anyone could name a key URL of theirs that answers 410 and have X forgotten.
 */

/** The subset of Fedify's VerifyRequestFailureReason this rule reads. */
export interface UnverifiedReason {
  type: string;
  keyId?: URL;
  result?: { status?: number } | { error?: unknown };
}

/** True for `Delete{actor: X, object: X}` signed with X's own key, which could not be fetched because X is gone (404/410). */
export function isSelfDeleteOfGoneActor(
  activity: { type: string; actorId: string | null; objectId: string | null },
  reason: UnverifiedReason,
): boolean {
  const actorId = activity.actorId;
  if (activity.type !== "Delete" || !actorId || activity.objectId !== actorId) return false;
  if (reason.type !== "keyFetchError" || !reason.result || !("status" in reason.result)) return false;
  if (reason.result.status !== 404 && reason.result.status !== 410) return false;
  if (!reason.keyId) return false;
  const keyDocument = new URL(reason.keyId);
  keyDocument.hash = "";
  return keyDocument.href === actorId || keyDocument.href.startsWith(`${actorId}/`);
}

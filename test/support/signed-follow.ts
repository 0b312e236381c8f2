import { signRequest } from "@fedify/fedify";

/**
 * A `Follow` of `object` by the remote `actor`, POSTed to `inbox` and signed with the actor's key
 * `{actor}#main-key` (draft-cavage HTTP Signatures, as Mastodon signs), by Fedify's own signer.
 */
export function signedFollow(options: {
  inbox: string;
  actor: string;
  object: string;
  privateKey: Parameters<typeof signRequest>[1];
  /** The activity id; `{actor}/follows/1` unless given. */
  id?: string;
}): Promise<Request> {
  const { inbox, actor, object, privateKey } = options;
  const request = new Request(inbox, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body: JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: options.id ?? `${actor}/follows/1`,
      type: "Follow",
      actor,
      object,
    }),
  });
  return signRequest(request, privateKey, new URL(`${actor}#main-key`), {
    spec: "draft-cavage-http-signatures-12",
  });
}

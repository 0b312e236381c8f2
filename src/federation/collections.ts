import type { Federation, RequestContext } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import type { ActivityService } from "../activities/service.ts";
import type { ContentService } from "../content/service.ts";
import type { Sql } from "../platform/db/client.ts";
import { isUuid } from "../platform/ids.ts";
import type { LocalActors } from "./actors.ts";
import { contentActivity } from "./objects.ts";
import {
  countAcceptedFollowing,
  countFollowers,
  isFollowerOf,
  listFollowers,
  listFollowing,
} from "./store.ts";

const PAGE = 100;
const OUTBOX_PAGE = 20;
const EVERY_VISIBILITY = ["public", "unlisted", "followers"] as const;

/** A page cursor from the request (`?cursor=`): "" starts, a UUID continues, anything else is no page. */
const pageAfter = (cursor: string | null): string | null | undefined =>
  !cursor ? null : isUuid(cursor) ? cursor : undefined;

/**
 * The collections of local actors (ActivityPub §5): `followers` (remote followers and members),
 * `following` (the remote actors a user follows, accepted; a course follows no one) and `outbox` (a
 * user's Create/Update/Delete of content, newest first). The outbox's `totalItems` counts every such
 * activity, as Mastodon's counts every status; its pages show the public and unlisted ones, and the
 * followers-only ones too to a request signed by one of the user's followers.
 */
export function registerCollections(
  federation: Federation<void>,
  deps: {
    sql: Sql;
    actors: Pick<LocalActors, "find">;
    activities: Pick<ActivityService, "published" | "countPublished">;
    content: Pick<ContentService, "byId">;
  },
): void {
  const { sql, actors } = deps;

  federation
    .setFollowersDispatcher("/ap/actors/{identifier}/followers", async (_ctx, identifier, cursor) => {
      const after = pageAfter(cursor);
      if (after === undefined || !(await actors.find(identifier))) return null;
      const page = await listFollowers(sql, [identifier], { after, limit: PAGE });
      return {
        items: page.items.map((f) => ({
          id: new URL(f.actor_uri),
          inboxId: new URL(f.inbox_uri),
          endpoints: { sharedInbox: f.shared_inbox_uri ? new URL(f.shared_inbox_uri) : null },
        })),
        nextCursor: page.next,
      };
    })
    .setFirstCursor(() => "")
    .setCounter(async (_ctx, identifier) => (await countFollowers(sql, [identifier])).recipients);

  /**
   * A page request for a collection only users fill: the user and where to start, `"empty"` for a
   * course (it follows and publishes nothing itself), null for an unknown actor or a bad cursor (404).
   */
  async function userPage(identifier: string, cursor: string | null) {
    const after = pageAfter(cursor);
    const actor = after === undefined ? undefined : await actors.find(identifier);
    if (!actor || after === undefined) return null;
    return actor.kind === "user" ? { actor, after } : "empty";
  }
  const EMPTY = { items: [], nextCursor: null };

  federation
    .setFollowingDispatcher("/ap/actors/{identifier}/following", async (_ctx, identifier, cursor) => {
      const request = await userPage(identifier, cursor);
      if (request === null) return null;
      if (request === "empty") return EMPTY;
      const { actor, after } = request;
      const page = await listFollowing(
        sql,
        actor.tenantId,
        { userId: actor.id, state: "accepted" },
        { after, limit: PAGE },
      );
      return { items: page.items.map((f) => new URL(f.actor_uri)), nextCursor: page.next };
    })
    .setFirstCursor(() => "")
    .setCounter(async (_ctx, identifier) => countAcceptedFollowing(sql, identifier));

  /** Visibilities the requester may see in `identifier`'s outbox. */
  async function visibleTo(ctx: RequestContext<void>, identifier: string): Promise<readonly string[]> {
    const owner = ctx.request.headers.has("signature") ? await ctx.getSignedKeyOwner() : null;
    return owner?.id && (await isFollowerOf(sql, [identifier], owner.id.href))
      ? EVERY_VISIBILITY
      : ["public", "unlisted"];
  }

  federation
    .setOutboxDispatcher("/ap/actors/{identifier}/outbox", async (ctx, identifier, cursor) => {
      const request = await userPage(identifier, cursor);
      if (request === null) return null;
      if (request === "empty") return EMPTY;
      const page = await deps.activities.published(identifier, await visibleTo(ctx, identifier), {
        after: request.after,
        limit: OUTBOX_PAGE,
      });
      const items: Activity[] = [];
      for (const activity of page.items) {
        const content = activity.type === "Delete" ? undefined : await deps.content.byId(activity.object_id);
        const item = contentActivity(ctx, activity, content);
        if (item) items.push(item);
      }
      return { items, nextCursor: page.next };
    })
    .setFirstCursor(() => "")
    .setCounter(async (_ctx, identifier) => deps.activities.countPublished(identifier, EVERY_VISIBILITY));
}

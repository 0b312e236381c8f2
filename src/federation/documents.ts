import type { Federation, RequestContext } from "@fedify/fedify";
import { Activity as APActivity, Object as APObject } from "@fedify/vocab";
import type { ActivityService } from "../activities/service.ts";
import { objectTypeOf } from "../content/rules.ts";
import type { ContentService } from "../content/service.ts";
import type { Sql } from "../platform/db/client.ts";
import { isUuid } from "../platform/ids.ts";
import {
  audienceOfActivity,
  audienceOfContent,
  contentActivity,
  contentObject,
  type PostAudience,
  relationActivity,
} from "./objects.ts";
import { audienceOf, isRemoteRelation } from "./outbox.ts";
import { findFollowing, isFollowerOf } from "./store.ts";

/** Who may see a document: everyone, or the remote actors a signed request proves to be (by its key owner). */
type Viewers = "everyone" | ((actorUri: string) => Promise<boolean>);

/** Public and unlisted posts are for everyone; followers-only ones for the followers of their author or course. */
function postViewers(sql: Sql, audience: PostAudience): Viewers {
  if (audience.visibility !== "followers") return "everyone";
  return (actorUri) => isFollowerOf(sql, [audience.authorId, audience.courseId], actorUri);
}

/**
 * The ids FediFlow gives its objects and activities dereference (ActivityPub §3.1, §3.2):
 * `/ap/content/{id}` (Article/Note) and `/ap/activities/{id}` (Create/Update/Delete of content,
 * Follow/Join/Undo/Leave of a remote actor), as the same documents that were delivered, to requests that
 * accept ActivityPub media types. A followers-only post and its activities are served only to a request
 * signed by one of their followers; a follow only to its remote actor. Refusals: 401 without a valid
 * signature, 403 for a signer outside the audience (`refusalStatus`); unknown or deleted ids are 404.
 */
export function registerDocuments(
  federation: Federation<void>,
  deps: {
    sql: Sql;
    activities: Pick<ActivityService, "byId">;
    content: Pick<ContentService, "byId">;
  },
) {
  const { sql } = deps;
  const refusals = new WeakMap<Request, 401 | 403>();

  async function contentDocument(ctx: RequestContext<void>, id: string) {
    const content = isUuid(id) ? await deps.content.byId(id) : undefined;
    if (!content) return undefined;
    return {
      document: contentObject(ctx, content, objectTypeOf(content.content_type)),
      viewers: postViewers(sql, audienceOfContent(content)),
    };
  }

  async function activityDocument(ctx: RequestContext<void>, id: string) {
    const activity = isUuid(id) ? await deps.activities.byId(id) : undefined;
    if (!activity) return undefined;
    if (audienceOf(activity)) {
      const content = activity.type === "Delete" ? undefined : await deps.content.byId(activity.object_id);
      const document = contentActivity(ctx, activity, content);
      const audience = content ? audienceOfContent(content) : audienceOfActivity(activity);
      return document && audience ? { document, viewers: postViewers(sql, audience) } : undefined;
    }
    if (!isRemoteRelation(activity)) return undefined;
    const following = await findFollowing(sql, activity.object_id);
    if (!following) return undefined;
    const viewers: Viewers = async (actorUri) => actorUri === following.actor_uri;
    return { document: relationActivity(ctx, activity, following), viewers };
  }

  /** The authorization predicate: records why a request is refused, for the response. */
  async function mayView(ctx: RequestContext<void>, viewers: Viewers | undefined): Promise<boolean> {
    if (viewers === "everyone") return true;
    const owner = viewers ? await ctx.getSignedKeyOwner() : null;
    if (!owner?.id) {
      refusals.set(ctx.request, 401);
      return false;
    }
    if (viewers && (await viewers(owner.id.href))) return true;
    refusals.set(ctx.request, 403);
    return false;
  }

  for (const [cls, path, find] of [
    [APObject, "/ap/content/{id}", contentDocument],
    [APActivity, "/ap/activities/{id}", activityDocument],
  ] as const) {
    federation
      .setObjectDispatcher(cls, path, async (ctx, { id }) => (await find(ctx, id))?.document ?? null)
      .authorize(async (ctx, { id }) => mayView(ctx, (await find(ctx, id))?.viewers));
  }

  return {
    /** The status of a refused request to `federation.fetch()`: 401 (sign it) or 403 (not for you). */
    refusalStatus: (request: Request): 401 | 403 => refusals.get(request) ?? 401,
  };
}

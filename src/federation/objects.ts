import type { Context } from "@fedify/fedify";
import { Article, Create, Delete, Follow, Join, Leave, Note, Tombstone, Undo, Update } from "@fedify/vocab";
import type { Activity } from "../activities/service.ts";
import type { Content } from "../content/service.ts";
import { addressingFor, type Visibility } from "./audience.ts";
import { instantOf, publicationDates } from "./publication-dates.ts";
import type { Following } from "./store.ts";

/**
 * FediFlow's records as ActivityPub documents, built the same way for delivery (publisher.ts), for
 * dereferencing their ids (documents.ts, ActivityPub §3.2) and for the outbox.
 */

export const activityUri = (origin: string, id: string) => new URL(`/ap/activities/${id}`, origin);
const contentUri = (origin: string, id: string) => new URL(`/ap/content/${id}`, origin);

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/\n/g, "<br>");

/** Who receives a post and its Update/Delete: the followers of its author and of its course. */
export interface PostAudience {
  authorId: string;
  courseId: string;
  visibility: Exclude<Visibility, "direct">;
}

/** The audience of content, or of an activity on content (from its summary once the row is gone). */
export function audienceOfContent(content: Content): PostAudience {
  return { authorId: content.author_id, courseId: content.course_id, visibility: content.visibility };
}

export function audienceOfActivity(activity: Activity): PostAudience | undefined {
  const courseId = activity.summary.course_id;
  if (typeof courseId !== "string") return undefined;
  const visibility = activity.summary.visibility;
  return {
    authorId: activity.actor_id,
    courseId,
    // Rows recorded before visibility existed went to followers only.
    visibility: visibility === "public" || visibility === "unlisted" ? visibility : "followers",
  };
}

/** `to`/`cc` of a post, its Create, Update and Delete (audience.ts: as Mastodon reads them). */
function addressing(ctx: Context<void>, audience: PostAudience): { tos: URL[]; ccs: URL[] } {
  const followers = [ctx.getFollowersUri(audience.authorId), ctx.getFollowersUri(audience.courseId)];
  const { to, cc } = addressingFor(
    audience.visibility,
    followers.map((u) => u.href),
  );
  return { tos: to.map((u) => new URL(u)), ccs: cc.map((u) => new URL(u)) };
}

/** A piece of content as an Article (teaching material) or a Note, with `published`/`updated`. */
export function contentObject(ctx: Context<void>, content: Content, objectType: string): Article | Note {
  const values = {
    id: contentUri(ctx.canonicalOrigin, content.id),
    attribution: ctx.getActorUri(content.author_id),
    audience: ctx.getActorUri(content.course_id),
    ...addressing(ctx, audienceOfContent(content)),
    ...publicationDates(content),
    name: content.title,
    summary: content.content_type,
    content: `<p>${escapeHtml(content.body)}</p>`,
    mediaType: "text/html",
  };
  return objectType === "Article" ? new Article(values) : new Note(values);
}

/**
 * The Create/Update/Delete of a recorded activity on content. `content` is the current row (Create,
 * Update), absent for a Delete (the row is gone: a Tombstone). undefined when there is nothing to show:
 * a Create/Update whose content was deleted since, or an activity that is not about content.
 */
export function contentActivity(
  ctx: Context<void>,
  activity: Activity,
  content: Content | undefined,
): Create | Update | Delete | undefined {
  const audience = content ? audienceOfContent(content) : audienceOfActivity(activity);
  if (!audience) return undefined;
  const id = activityUri(ctx.canonicalOrigin, activity.id);
  const actor = ctx.getActorUri(activity.actor_id);
  const at = instantOf(activity.created_at);
  if (activity.type === "Delete") {
    const object = new Tombstone({ id: contentUri(ctx.canonicalOrigin, activity.object_id), deleted: at });
    return new Delete({ id, actor, object, ...addressing(ctx, audience), published: at });
  }
  if (!content || (activity.type !== "Create" && activity.type !== "Update")) return undefined;
  const object = contentObject(ctx, content, activity.object_type);
  const values = { id, actor, object, ...addressing(ctx, audience) };
  return activity.type === "Create"
    ? new Create({ ...values, published: object.published })
    : new Update({ ...values, published: at });
}

/** A Follow/Join of a remote actor, or its Undo/Leave; `following` is its federation_following row. */
export function relationActivity(
  ctx: Context<void>,
  activity: Activity,
  following: Following,
): Follow | Join | Undo | Leave {
  const id = activityUri(ctx.canonicalOrigin, activity.id);
  const actor = ctx.getActorUri(activity.actor_id);
  const remote = new URL(following.actor_uri);
  const values = { id, actor, object: remote, to: remote };
  if (activity.type === "Follow") return new Follow(values);
  if (activity.type === "Join") return new Join(values);
  if (activity.type === "Leave") return new Leave(values);
  const original = new URL(following.activity_uri);
  const inner =
    following.relation === "member"
      ? new Join({ id: original, actor, object: remote })
      : new Follow({ id: original, actor, object: remote });
  return new Undo({ id, actor, object: inner, to: remote });
}

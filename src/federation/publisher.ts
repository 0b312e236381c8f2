import type { Context, Federation } from "@fedify/fedify";
import { Article, Create, Delete, Follow, Join, Leave, Note, Tombstone, Undo, Update } from "@fedify/vocab";
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import type { Activity, ActivityService } from "../activities/service.ts";
import type { Content, ContentService } from "../content/service.ts";
import type { Sql } from "../platform/db/client.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import { inSpan } from "../platform/telemetry/spans.ts";
import { audienceOf } from "./outbox.ts";
import { findFollowing, listFollowers } from "./store.ts";

const PAGE = 500;
const tracer = trace.getTracer("fediflow-federation");

export const activityUri = (origin: string, id: string) => new URL(`/ap/activities/${id}`, origin);
const contentUri = (origin: string, id: string) => new URL(`/ap/content/${id}`, origin);

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/\n/g, "<br>");

/**
 * The worker side of a `publish` task (queued by outbox.ts): builds the ActivityPub activity of a
 * recorded activity and hands it to Fedify, which fans it out per inbox.
 */
export function createPublisher(deps: {
  sql: Sql;
  federation: () => Federation<void>;
  origin: () => string;
  activities: Pick<ActivityService, "byId">;
  content: Pick<ContentService, "byId">;
  logger: Logger;
}) {
  const { sql, logger } = deps;

  async function recipientsOf(actorIds: string[]) {
    const recipients: { id: URL; inboxId: URL; endpoints: { sharedInbox: URL | null } }[] = [];
    let after: string | null = null;
    do {
      const page = await listFollowers(sql, actorIds, { after, limit: PAGE });
      for (const f of page.items) {
        recipients.push({
          id: new URL(f.actor_uri),
          inboxId: new URL(f.inbox_uri),
          endpoints: { sharedInbox: f.shared_inbox_uri ? new URL(f.shared_inbox_uri) : null },
        });
      }
      after = page.next;
    } while (after);
    // One remote actor may follow both the author and the course.
    return [...new Map(recipients.map((r) => [r.id.href, r])).values()];
  }

  function contentObject(ctx: Context<void>, origin: string, content: Content, objectType: string) {
    const values = {
      id: contentUri(origin, content.id),
      attribution: ctx.getActorUri(content.author_id),
      audience: ctx.getActorUri(content.course_id),
      to: ctx.getFollowersUri(content.course_id),
      name: content.title,
      summary: content.content_type,
      content: `<p>${escapeHtml(content.body)}</p>`,
      mediaType: "text/html",
    };
    return objectType === "Article" ? new Article(values) : new Note(values);
  }

  async function publishActivity(activity: Activity): Promise<void> {
    const origin = deps.origin();
    const ctx = deps.federation().createContext(new URL(origin), undefined);
    const id = activityUri(origin, activity.id);
    const actor = ctx.getActorUri(activity.actor_id);
    const audience = audienceOf(activity);
    if (audience) {
      const recipients = await recipientsOf(audience);
      if (recipients.length === 0) return;
      let object: Article | Note | Tombstone;
      if (activity.type === "Delete") {
        object = new Tombstone({ id: contentUri(origin, activity.object_id) });
      } else {
        const content = await deps.content.byId(activity.object_id);
        if (!content) return; // deleted since: nothing left to announce
        object = contentObject(ctx, origin, content, activity.object_type);
      }
      const values = {
        id,
        actor,
        object,
        to: ctx.getFollowersUri(String(activity.summary.course_id ?? activity.actor_id)),
      };
      const ap =
        activity.type === "Create"
          ? new Create(values)
          : activity.type === "Update"
            ? new Update(values)
            : new Delete(values);
      trace.getActiveSpan()?.setAttributes({
        "federation.recipients": recipients.length,
        "federation.instances": new Set(recipients.map((r) => r.id.host)).size,
      });
      await ctx.sendActivity({ identifier: activity.actor_id }, recipients, ap, {
        preferSharedInbox: true,
        orderingKey: contentUri(origin, activity.object_id).href,
      });
      return;
    }
    // Follow / Join / Undo / Leave of a remote actor: object_id is the federation_following row.
    const following = await findFollowing(sql, activity.object_id);
    if (!following) return;
    const target = {
      id: new URL(following.actor_uri),
      inboxId: new URL(following.inbox_uri),
      endpoints: { sharedInbox: following.shared_inbox_uri ? new URL(following.shared_inbox_uri) : null },
    };
    const remote = new URL(following.actor_uri);
    let ap: Follow | Join | Undo | Leave;
    if (activity.type === "Follow") ap = new Follow({ id, actor, object: remote });
    else if (activity.type === "Join") ap = new Join({ id, actor, object: remote });
    else if (activity.type === "Leave") ap = new Leave({ id, actor, object: remote });
    else {
      const original = new URL(following.activity_uri);
      const inner =
        following.relation === "member"
          ? new Join({ id: original, actor, object: remote })
          : new Follow({ id: original, actor, object: remote });
      ap = new Undo({ id, actor, object: inner });
    }
    await ctx.sendActivity({ identifier: activity.actor_id }, target, ap);
  }

  /** Worker side of a `publish` task, continuing the trace of the request that recorded the activity. */
  async function publish(message: Record<string, unknown>): Promise<void> {
    const parent = propagation.extract(ROOT_CONTEXT, (message.traceContext ?? {}) as Record<string, string>);
    await context.with(parent, () =>
      tracer.startActiveSpan("federation.publish", { kind: SpanKind.PRODUCER }, (span) =>
        inSpan(span, async () => {
          const activity = await deps.activities.byId(String(message.activityId));
          if (!activity) {
            logger.warn("Activity {activityId} to publish no longer exists", {
              activityId: message.activityId,
            });
            return;
          }
          span.setAttributes({
            "activity.id": activity.id,
            "activity.type": activity.type,
            "tenant.id": activity.tenant_id,
          });
          await publishActivity(activity);
        }),
      ),
    );
  }

  return { publish };
}

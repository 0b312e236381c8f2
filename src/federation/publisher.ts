import type { Context, Federation } from "@fedify/fedify";
import { Article, Create, Delete, Follow, Join, Leave, Note, Tombstone, Undo, Update } from "@fedify/vocab";
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import type { Sql } from "postgres";
import type { ActivityOutbox } from "../activities/service.ts";
import type { Activity } from "../activities/store.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import { inSpan } from "../platform/telemetry/spans.ts";
import type { PostgresMessageQueue } from "./message-queue.ts";
import { countFollowers, type Follower, findFollowing, listFollowers } from "./store.ts";

export const PUBLISH_TASK = "fediflow.publish";
const CONTENT_OBJECTS = new Set(["Article", "Note"]);
const PAGE = 500;
const tracer = trace.getTracer("fediflow-federation");

interface ContentRow {
  id: string;
  course_id: string;
  author_id: string;
  content_type: string;
  title: string;
  body: string;
}

export const activityUri = (origin: string, id: string) => new URL(`/ap/activities/${id}`, origin);
export const contentUri = (origin: string, id: string) => new URL(`/ap/content/${id}`, origin);

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/\n/g, "<br>");

/** The local actors whose remote followers receive an activity, or undefined when it does not federate. */
function audienceOf(activity: Activity): string[] | undefined {
  if (CONTENT_OBJECTS.has(activity.object_type) && ["Create", "Update", "Delete"].includes(activity.type)) {
    const courseId = activity.summary.course_id;
    return typeof courseId === "string" ? [activity.actor_id, courseId] : [activity.actor_id];
  }
  return undefined;
}

/**
 * Local activities → ActivityPub. `outbox.enqueue` runs inside the caller's transaction: it counts the
 * remote recipients and inserts a `publish` task in the same transaction as the activity (so an
 * accepted activity is never lost), carrying the W3C trace context of `federation.deliver`. The worker's
 * `publish` builds the ActivityPub activity and hands it to Fedify, which fans it out per inbox.
 */
export function createPublisher(deps: {
  sql: Sql;
  queue: PostgresMessageQueue;
  federation: () => Federation<void>;
  origin: () => string;
  logger: Logger;
}) {
  const { sql, queue, logger } = deps;

  const outbox: ActivityOutbox = {
    async enqueue(tx, activity) {
      let plan: { recipients: number; instances: number };
      const audience = audienceOf(activity);
      if (audience) plan = await countFollowers(tx, audience);
      else if (
        ["Follow", "Join", "Undo", "Leave"].includes(activity.type) &&
        activity.summary.remote === true
      ) {
        plan = { recipients: 1, instances: 1 };
      } else plan = { recipients: 0, instances: 0 };
      if (plan.recipients === 0) return plan;
      const traceContext: Record<string, string> = {};
      propagation.inject(context.active(), traceContext);
      await queue.enqueueInTransaction(tx, {
        type: PUBLISH_TASK,
        id: uuidv7(),
        activityId: activity.id,
        traceContext,
      });
      return plan;
    },
  };

  async function recipientsOf(actorIds: string[]) {
    const recipients: { id: URL; inboxId: URL; endpoints: { sharedInbox: URL | null } }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Follower[] = await listFollowers(sql, actorIds, after, PAGE);
      for (const f of page) {
        recipients.push({
          id: new URL(f.actor_uri),
          inboxId: new URL(f.inbox_uri),
          endpoints: { sharedInbox: f.shared_inbox_uri ? new URL(f.shared_inbox_uri) : null },
        });
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.id ?? null;
    }
    // One remote actor may follow both the author and the course.
    return [...new Map(recipients.map((r) => [r.id.href, r])).values()];
  }

  function contentObject(ctx: Context<void>, origin: string, content: ContentRow, objectType: string) {
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
        const [content] = await sql<ContentRow[]>`
          select id, course_id, author_id, content_type, title, body from content where id = ${activity.object_id}`;
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
          const [activity] = await sql<Activity[]>`
            select id, tenant_id, actor_id, type, object_type, object_id, summary, created_at
            from activities where id = ${String(message.activityId)}`;
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

  return { outbox, publish };
}

import type { Federation } from "@fedify/fedify";
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import type { Activity, ActivityService } from "../activities/service.ts";
import type { ContentService } from "../content/service.ts";
import type { Sql } from "../platform/db/client.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import { inSpan } from "../platform/telemetry/spans.ts";
import { contentActivity, relationActivity } from "./objects.ts";
import { audienceOf } from "./outbox.ts";
import { findFollowing, listFollowers } from "./store.ts";

const PAGE = 500;
const tracer = trace.getTracer("fediflow-federation");

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

  async function publishActivity(activity: Activity): Promise<void> {
    const ctx = deps.federation().createContext(new URL(deps.origin()), undefined);
    const audience = audienceOf(activity);
    if (audience) {
      const recipients = await recipientsOf(audience);
      if (recipients.length === 0) return;
      const content = activity.type === "Delete" ? undefined : await deps.content.byId(activity.object_id);
      const ap = contentActivity(ctx, activity, content);
      if (!ap) return; // deleted since: its Delete follows
      trace.getActiveSpan()?.setAttributes({
        "federation.recipients": recipients.length,
        "federation.instances": new Set(recipients.map((r) => r.id.host)).size,
      });
      // No Fedify orderingKey: the queue orders each inbox's deliveries per object (queue-tasks.ts
      // orderingKeyOf), and Fedify enqueues the whole fan-out with one enqueueMany().
      await ctx.sendActivity({ identifier: activity.actor_id }, recipients, ap, { preferSharedInbox: true });
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
    await ctx.sendActivity(
      { identifier: activity.actor_id },
      target,
      relationActivity(ctx, activity, following),
    );
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

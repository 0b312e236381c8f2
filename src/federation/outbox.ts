import { context, propagation } from "@opentelemetry/api";
import type { Activity, ActivityOutbox } from "../activities/service.ts";
import type { FederationConfig } from "../config.ts";
import type { Sql } from "../platform/db/client.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import { PostgresMessageQueue } from "./message-queue.ts";
import { countFollowers } from "./store.ts";

/** The queue task that turns a recorded activity into ActivityPub deliveries (publisher.ts). */
export const PUBLISH_TASK = "fediflow.publish";
const CONTENT_OBJECTS = new Set(["Article", "Note"]);

/** The local actors whose remote followers receive an activity, or undefined when it does not federate. */
export function audienceOf(activity: Activity): string[] | undefined {
  if (CONTENT_OBJECTS.has(activity.object_type) && ["Create", "Update", "Delete"].includes(activity.type)) {
    const courseId = activity.summary.course_id;
    return typeof courseId === "string" ? [activity.actor_id, courseId] : [activity.actor_id];
  }
  return undefined;
}

/** A local user's Follow/Join of a remote actor, or its Undo/Leave: delivered to that actor alone. */
export function isRemoteRelation(activity: Activity): boolean {
  return ["Follow", "Join", "Undo", "Leave"].includes(activity.type) && activity.summary.remote === true;
}

/** The durable delivery queue (`federation_queue`), tuned from FEDERATION_QUEUE_* settings. */
export function createDeliveryQueue(deps: {
  sql: Sql;
  /** PostgreSQL server (LISTEN/NOTIFY wake-ups) or embedded PGlite (polling only). */
  databaseKind: "postgresql" | "embedded";
  config: FederationConfig;
  logger: Logger;
}): PostgresMessageQueue {
  const { queue } = deps.config;
  return new PostgresMessageQueue(
    deps.sql,
    {
      concurrency: queue.concurrency,
      perHost: queue.perHost,
      pollMs: queue.pollMs,
      leaseMs: queue.leaseMs,
      // Leases are renewed while a task runs, so a delivery's own bound need not fit inside one lease.
      taskTimeoutMs: 30_000,
    },
    deps.logger,
    deps.databaseKind === "postgresql",
  );
}

/**
 * Local activities → the delivery queue. `enqueue` runs inside the transaction that records the
 * activity: it counts the remote recipients and inserts a `publish` task in that same transaction (so
 * an accepted activity is never lost), carrying the W3C trace context of `federation.deliver`, ordered
 * behind the earlier publish tasks of the same object.
 */
export function createOutbox(queue: PostgresMessageQueue): ActivityOutbox {
  return {
    async enqueue(tx, activity) {
      let plan: { recipients: number; instances: number };
      const audience = audienceOf(activity);
      if (audience) plan = await countFollowers(tx, audience);
      else if (isRemoteRelation(activity)) plan = { recipients: 1, instances: 1 };
      else plan = { recipients: 0, instances: 0 };
      if (plan.recipients === 0) return plan;
      const traceContext: Record<string, string> = {};
      propagation.inject(context.active(), traceContext);
      // Keyed by the object: a post's Create, Update and Delete are published in the order recorded
      // (their fan-outs and deliveries are then ordered per object by the queue, queue-tasks.ts).
      await queue.enqueueInTransaction(
        tx,
        { type: PUBLISH_TASK, id: uuidv7(), activityId: activity.id, traceContext },
        { orderingKey: `${PUBLISH_TASK}\n${activity.object_id}` },
      );
      return plan;
    },
  };
}

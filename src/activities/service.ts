import { trace } from "@opentelemetry/api";
import type { Sql } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { uuidv7 } from "../platform/ids.ts";
import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME } from "../platform/telemetry/attributes.ts";
import { inSpan } from "../platform/telemetry/spans.ts";
import { type Caller, requireSession } from "../users/auth.ts";
import {
  type Activity,
  countPublished,
  findActivityById,
  insertActivity,
  listActivities,
  listPublished,
} from "./store.ts";

export type { Activity };

/** Hands a recorded activity to delivery; federation plugs in here. Runs inside the caller's transaction. */
export interface ActivityOutbox {
  enqueue(sql: Sql, activity: Activity): Promise<{ recipients: number; instances: number }>;
}

/** Until federation is configured, activities are recorded locally and have no remote recipients. */
export const localOnlyOutbox: ActivityOutbox = {
  enqueue: async () => ({ recipients: 0, instances: 0 }),
};

export type NewActivity = Pick<
  Activity,
  "tenant_id" | "actor_id" | "type" | "object_type" | "object_id" | "summary"
>;

const tracer = trace.getTracer("fediflow-activity-service");

/**
 * The tenant's activity log (ActivityStreams verbs: Create, Update, Join, Follow, Undo…). Recording
 * an activity is the spec's `activity.create` → `db.activity.insert` → `federation.deliver`.
 */
export function createActivityService(sql: Sql, outbox: ActivityOutbox) {
  return {
    /** Records an activity and queues its delivery, inside the caller's transaction `tx`. */
    record(tx: Sql, data: NewActivity): Promise<Activity> {
      const attributes = {
        "activity.type": data.type,
        "activity.actor": data.actor_id,
        "tenant.id": data.tenant_id,
      };
      return tracer.startActiveSpan("activity.create", { attributes }, (span) =>
        inSpan(span, async () => {
          const activity = await tracer.startActiveSpan(
            "db.activity.insert",
            { attributes: { [ATTR_DB_OPERATION_NAME]: "INSERT", [ATTR_DB_COLLECTION_NAME]: "activities" } },
            (dbSpan) => inSpan(dbSpan, () => insertActivity(tx, { id: uuidv7(), ...data })),
          );
          await tracer.startActiveSpan("federation.deliver", (fedSpan) =>
            inSpan(fedSpan, async () => {
              const { recipients, instances } = await outbox.enqueue(tx, activity);
              fedSpan.setAttributes({
                "federation.recipients": recipients,
                "federation.instances": instances,
              });
            }),
          );
          return activity;
        }),
      );
    },

    /** The tenant's activity log, for any signed-in user of the tenant. */
    list(caller: Caller, page: PageRequest): Promise<Slice<Activity>> {
      requireSession(caller);
      return listActivities(sql, caller.tenant.id, page);
    },

    /** Any tenant's activity by id (the federation worker publishes it). */
    byId: (id: string) => findActivityById(sql, id),

    /**
     * A user's published activities on content (Create/Update/Delete of Articles and Notes) with one
     * of `visibilities`, newest first: the user's ActivityPub outbox. Deleted content's Create/Update
     * are left out (its Delete is listed).
     */
    published: (actorId: string, visibilities: readonly string[], page: PageRequest) =>
      listPublished(sql, actorId, visibilities, page),
    /** How many there are (the outbox's totalItems). */
    countPublished: (actorId: string, visibilities: readonly string[]) =>
      countPublished(sql, actorId, visibilities),
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;

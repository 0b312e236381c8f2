import { trace } from "@opentelemetry/api";
import type { Sql } from "postgres";
import { uuidv7 } from "../platform/ids.ts";
import { inSpan } from "../platform/telemetry/spans.ts";
import { type Activity, insertActivity } from "./store.ts";

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

/** Records an activity and queues its delivery: the spec's `activity.create` → `db.activity.insert` → `federation.deliver`. */
export function createActivityService(outbox: ActivityOutbox) {
  return {
    record(sql: Sql, data: NewActivity): Promise<Activity> {
      const attributes = {
        "activity.type": data.type,
        "activity.actor": data.actor_id,
        "tenant.id": data.tenant_id,
      };
      return tracer.startActiveSpan("activity.create", { attributes }, (span) =>
        inSpan(span, async () => {
          const activity = await tracer.startActiveSpan(
            "db.activity.insert",
            { attributes: { "db.operation": "INSERT", "db.table": "activities" } },
            (dbSpan) => inSpan(dbSpan, () => insertActivity(sql, { id: uuidv7(), ...data })),
          );
          await tracer.startActiveSpan("federation.deliver", (fedSpan) =>
            inSpan(fedSpan, async () => {
              const { recipients, instances } = await outbox.enqueue(sql, activity);
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
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;

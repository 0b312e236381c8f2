import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import { storedText } from "../platform/http/text.ts";

/**
 * A label or annotation set as Alertmanager sends it: any names, string values. zod's `z.record` drops a
 * `__proto__` key (its guard against prototype pollution) and that label would be lost without a word;
 * this schema checks the entries and keeps the object JSON.parse built (its keys are own properties).
 */
const labelSet = z
  .custom<Record<string, string>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    { message: "must be an object whose values are strings" },
  )
  .superRefine((labels, ctx) => {
    for (const [name, value] of Object.entries(labels)) {
      if (typeof value !== "string")
        ctx.addIssue({ code: "custom", path: [name], message: "must be a string" });
    }
  })
  .openapi({ type: "object", additionalProperties: { type: "string" } });

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export const AlertmanagerWebhook = z
  .object({
    version: z.literal("4"),
    groupKey: z.string(),
    truncatedAlerts: z.number().int().min(0).default(0),
    status: z.enum(["firing", "resolved"]),
    // Receiver names are Alertmanager configuration strings, unbounded there: no length limit here.
    receiver: z.string().min(1),
    groupLabels: labelSet,
    commonLabels: labelSet,
    commonAnnotations: labelSet,
    externalURL: z.string(),
    alerts: z
      .array(
        z.object({
          status: z.enum(["firing", "resolved"]),
          labels: labelSet,
          annotations: labelSet,
          startsAt: z.iso.datetime({ offset: true }),
          endsAt: z.iso.datetime({ offset: true }).optional(),
          generatorURL: z.string().optional(),
          fingerprint: z.string().min(1).max(64),
        }),
      )
      // No count limit: the body limit bounds a notification, with a status Alertmanager retries.
      .openapi({ description: "The alerts of the group (max_alerts of webhook_config bounds them)" }),
  })
  .openapi("AlertmanagerWebhook");

export const WebhookOutcome = z
  .object({
    received: z.number().int(),
    stored: z.number().int().openapi({ description: "State changes stored (repeats are not)" }),
    refused: z
      .array(z.object({ fingerprint: z.string(), reason: z.string() }))
      .openapi({ description: "Alerts PostgreSQL cannot store (e.g. a startsAt in year 0000), each logged" }),
  })
  .openapi("AlertmanagerWebhookOutcome");

export const StoredAlertSchema = z
  .object({
    id: z.uuid(),
    fingerprint: z.string(),
    status: z.string(),
    alertname: z.string(),
    severity: z.string().nullable(),
    labels: labelSet,
    annotations: labelSet,
    starts_at: timestamp,
    ends_at: timestamp.nullable(),
    generator_url: z.string().nullable(),
    receiver: z.string(),
    received_at: timestamp,
  })
  .openapi("ReceivedAlert");

export const Rows = z.object({ items: z.array(z.record(z.string(), z.unknown())) });

export const SlowQueryParams = z.object({
  // pg_stat_statements.calls is a bigint; every safe integer fits (a larger one is a 400, not a 22003).
  min_calls: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(100),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const FaultRuleSchema = z
  .object({
    route: storedText({ min: 1, max: 200 }),
    error_rate: z.number().min(0).max(1).default(0),
    status: z.number().int().min(500).max(599).default(500),
    delay_rate: z.number().min(0).max(1).default(0),
    delay_ms: z.number().int().min(0).max(60_000).default(0),
  })
  .openapi("FaultRule");
export const FaultRules = z.object({ rules: z.array(FaultRuleSchema).max(50) });

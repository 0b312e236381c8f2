import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";

const labelSet = z.record(z.string(), z.string());

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export const AlertmanagerWebhook = z
  .object({
    version: z.literal("4"),
    groupKey: z.string(),
    truncatedAlerts: z.number().int().min(0).default(0),
    status: z.enum(["firing", "resolved"]),
    receiver: z.string().min(1).max(200),
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
      .max(1000),
  })
  .openapi("AlertmanagerWebhook");

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
  min_calls: z.coerce.number().int().min(0).default(100),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const FaultRuleSchema = z
  .object({
    route: z.string().min(1).max(200),
    error_rate: z.number().min(0).max(1).default(0),
    status: z.number().int().min(500).max(599).default(500),
    delay_rate: z.number().min(0).max(1).default(0),
    delay_ms: z.number().int().min(0).max(60_000).default(0),
  })
  .openapi("FaultRule");
export const FaultRules = z.object({ rules: z.array(FaultRuleSchema).max(50) });

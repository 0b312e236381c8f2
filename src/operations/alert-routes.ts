import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "../platform/http/context.ts";
import { bearerSecurity, commonErrors, jsonBody, jsonResponse, timestamp } from "../platform/http/openapi.ts";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { requireAdminToken } from "../users/auth.ts";
import { listAlerts, storeAlerts } from "./alert-store.ts";

const labelSet = z.record(z.string(), z.string());

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const AlertmanagerWebhook = z
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

const StoredAlertSchema = z
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

/** Alertmanager's webhook receiver and the operator's view of what it delivered. */
export function alertRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = [requireAdminToken(deps.config.alertWebhookToken ?? deps.config.adminToken)];

  app.openapi(
    createRoute({
      method: "post",
      path: "/ops/alerts",
      summary: "Alertmanager webhook (v4 payload); stores alerts once per fingerprint and status",
      security: bearerSecurity,
      middleware,
      request: jsonBody(AlertmanagerWebhook),
      responses: {
        200: jsonResponse(z.object({ received: z.number(), stored: z.number() }), "Stored"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const payload = c.req.valid("json");
      const stored = await storeAlerts(sql, payload.receiver, payload.alerts);
      for (const alert of payload.alerts) {
        const log = alert.status === "firing" && alert.labels.severity === "critical" ? "error" : "warn";
        c.var.logger[log]("Alert {alertname} {status}", {
          alertname: alert.labels.alertname,
          status: alert.status,
          severity: alert.labels.severity,
          fingerprint: alert.fingerprint,
          summary: alert.annotations.summary,
        });
      }
      return c.json({ received: payload.alerts.length, stored }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/alerts",
      summary: "Alerts received from Alertmanager, oldest first",
      security: bearerSecurity,
      middleware: [requireAdminToken(deps.config.adminToken)],
      request: { query: pageQuery.extend({ status: z.enum(["firing", "resolved"]).optional() }) },
      responses: { 200: jsonResponse(pageSchema(StoredAlertSchema), "A page of alerts"), ...commonErrors },
    }),
    async (c) => {
      const { limit, cursor, status } = c.req.valid("query");
      const page = toPage(await listAlerts(sql, { status }, decodeCursor(cursor), limit), limit);
      return c.json(page, 200);
    },
  );
  return app;
}

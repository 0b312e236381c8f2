import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireAdminToken } from "../platform/http/bearer.ts";
import type { PlatformEnv } from "../platform/http/context.ts";
import { ApiError } from "../platform/http/errors.ts";
import {
  bearerSecurity,
  bodyErrors,
  commonErrors,
  errorResponse,
  jsonBody,
  jsonResponse,
} from "../platform/http/openapi.ts";
import { pageQuery, pageRequest, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import {
  AlertmanagerWebhook,
  FaultRules,
  Rows,
  SlowQueryParams,
  StoredAlertSchema,
  WebhookOutcome,
} from "./schemas.ts";
import type { OperationsService } from "./service.ts";

/** Where Alertmanager posts its notifications, under the API prefix (alertmanager/alertmanager.yml). */
export const ALERT_WEBHOOK_PATH = "/ops/alerts";

/** Seconds Alertmanager is asked to wait before sending an oversized notification again. */
const OVERSIZED_RETRY_AFTER_SECONDS = 60;

/**
 * The answer to a notification over ALERT_WEBHOOK_BODY_LIMIT_BYTES (mounted in src/app.ts): 503 with
 * Retry-After, because Alertmanager retries only 5xx and a 413 would drop the notification without a
 * trace; and an error line naming the setting, since the notification cannot get through until an
 * operator raises the limit (or lowers `max_alerts`).
 */
export function alertBatchTooLarge(c: Context<PlatformEnv>, maxBytes: number): ApiError {
  c.var.logger.error(
    "Alertmanager notification refused: its body exceeds ALERT_WEBHOOK_BODY_LIMIT_BYTES ({maxBytes} bytes); raise it or lower max_alerts",
    // One line per 10 s however often it repeats (log-throttle.ts): the sender retries, anyone may post.
    { maxBytes, contentLength: c.req.header("content-length") },
  );
  return new ApiError(
    503,
    "alert_notification_too_large",
    `The notification exceeds ${maxBytes} bytes (ALERT_WEBHOOK_BODY_LIMIT_BYTES); it is not stored`,
    { closeConnection: true, headers: { "Retry-After": String(OVERSIZED_RETRY_AFTER_SECONDS) } },
  );
}

/**
 * Operator endpoints (ADMIN_TOKEN): database monitoring, fault injection, and Alertmanager's webhook
 * receiver (ALERT_WEBHOOK_TOKEN, else ADMIN_TOKEN) with the alerts it delivered.
 */
export function operationsRoutes(deps: {
  operations: OperationsService;
  adminToken: string | undefined;
  alertWebhookToken: string | undefined;
}) {
  const app = createRouter();
  const { operations } = deps;
  const admin = [requireAdminToken(deps.adminToken)];
  const faultsOff = {
    403: errorResponse("`faults_disabled`: fault injection is off (FAULT_INJECTION=false)"),
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/slow-queries",
      summary: "Slowest statements by mean time (needs pg_stat_statements)",
      security: bearerSecurity,
      middleware: admin,
      request: { query: SlowQueryParams },
      responses: {
        200: jsonResponse(Rows, "Statements"),
        409: errorResponse("pg_stat_statements is not installed in this database"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { min_calls, limit } = c.req.valid("query");
      return c.json(await operations.slowQueries(min_calls, limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/connections",
      summary: "Server connections grouped by state",
      security: bearerSecurity,
      middleware: admin,
      responses: { 200: jsonResponse(Rows, "Connection states"), ...commonErrors },
    }),
    async (c) => c.json(await operations.connections(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/locks",
      summary: "Lock requests that are waiting",
      security: bearerSecurity,
      middleware: admin,
      responses: { 200: jsonResponse(Rows, "Waiting locks"), ...commonErrors },
    }),
    async (c) => c.json(await operations.locks(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/faults",
      summary: "Active fault injection rules",
      security: bearerSecurity,
      middleware: admin,
      responses: { 200: jsonResponse(FaultRules, "Rules"), ...commonErrors, ...faultsOff },
    }),
    (c) => c.json({ rules: [...operations.faultRules()] }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/ops/faults",
      summary: "Replace the fault injection rules (an empty list turns injection off)",
      security: bearerSecurity,
      middleware: admin,
      request: jsonBody(FaultRules),
      responses: {
        200: jsonResponse(FaultRules, "Rules now active"),
        ...commonErrors,
        ...bodyErrors,
        ...faultsOff,
      },
    }),
    (c) => {
      const { rules } = c.req.valid("json");
      operations.replaceFaultRules(rules, c.var.logger);
      return c.json({ rules }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: ALERT_WEBHOOK_PATH,
      summary: "Alertmanager webhook (v4 payload); stores every state change of each alert",
      security: bearerSecurity,
      middleware: [requireAdminToken(deps.alertWebhookToken ?? deps.adminToken)],
      request: jsonBody(AlertmanagerWebhook),
      responses: {
        200: jsonResponse(WebhookOutcome, "Stored"),
        ...commonErrors,
        ...bodyErrors,
        503: errorResponse(
          "The database is unavailable, or the body exceeds ALERT_WEBHOOK_BODY_LIMIT_BYTES (never 413: Alertmanager retries only 5xx)",
        ),
      },
    }),
    async (c) => {
      const payload = c.req.valid("json");
      const outcome = await operations.receiveAlerts(payload.receiver, payload.alerts, c.var.logger);
      return c.json({ received: payload.alerts.length, ...outcome }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/alerts",
      summary: "Alerts received from Alertmanager, oldest first",
      security: bearerSecurity,
      middleware: admin,
      request: { query: pageQuery.extend({ status: z.enum(["firing", "resolved"]).optional() }) },
      responses: { 200: jsonResponse(pageSchema(StoredAlertSchema), "A page of alerts"), ...commonErrors },
    }),
    async (c) => {
      const { status, ...query } = c.req.valid("query");
      return c.json(toPage(await operations.listAlerts({ status }, pageRequest(query))), 200);
    },
  );
  return app;
}

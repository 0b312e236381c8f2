import { createRoute, z } from "@hono/zod-openapi";
import { requireAdminToken } from "../platform/http/bearer.ts";
import {
  commonErrors,
  errorResponse,
  jsonBody,
  jsonResponse,
  operatorSecurity,
} from "../platform/http/openapi.ts";
import { pageQuery, pageRequest, pageSchema, toPage } from "../platform/http/paging.ts";
import { createRouter } from "../platform/http/router.ts";
import { AlertmanagerWebhook, FaultRules, Rows, SlowQueryParams, StoredAlertSchema } from "./schemas.ts";
import type { OperationsService } from "./service.ts";

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

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/slow-queries",
      summary: "Slowest statements by mean time (needs pg_stat_statements)",
      security: operatorSecurity,
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
      security: operatorSecurity,
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
      security: operatorSecurity,
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
      security: operatorSecurity,
      middleware: admin,
      responses: { 200: jsonResponse(FaultRules, "Rules"), ...commonErrors },
    }),
    (c) => c.json({ rules: [...operations.faultRules()] }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/ops/faults",
      summary: "Replace the fault injection rules (an empty list turns injection off)",
      security: operatorSecurity,
      middleware: admin,
      request: jsonBody(FaultRules),
      responses: { 200: jsonResponse(FaultRules, "Rules now active"), ...commonErrors },
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
      path: "/ops/alerts",
      summary: "Alertmanager webhook (v4 payload); stores alerts once per fingerprint and status",
      security: operatorSecurity,
      middleware: [requireAdminToken(deps.alertWebhookToken ?? deps.adminToken)],
      request: jsonBody(AlertmanagerWebhook),
      responses: {
        200: jsonResponse(z.object({ received: z.number(), stored: z.number() }), "Stored"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const payload = c.req.valid("json");
      const stored = await operations.receiveAlerts(payload.receiver, payload.alerts, c.var.logger);
      return c.json({ received: payload.alerts.length, stored }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/alerts",
      summary: "Alerts received from Alertmanager, oldest first",
      security: operatorSecurity,
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

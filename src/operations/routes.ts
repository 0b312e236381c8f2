import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "../platform/http/context.ts";
import { ApiError } from "../platform/http/errors.ts";
import {
  bearerSecurity,
  commonErrors,
  errorResponse,
  jsonBody,
  jsonResponse,
} from "../platform/http/openapi.ts";
import { createRouter } from "../platform/http/router.ts";
import { requireAdminToken } from "../users/auth.ts";
import { connectionStates, hasPgStatStatements, lockWaits, slowQueries } from "./monitoring-store.ts";

const Rows = z.object({ items: z.array(z.record(z.string(), z.unknown())) });

/** Database monitoring for operators (ADMIN_TOKEN): slow queries, connection states, lock waits. */
export function opsRoutes(deps: AppDeps) {
  const app = createRouter();
  const { sql } = deps.db;
  const middleware = [requireAdminToken(deps.config.adminToken)];
  const rows = (items: readonly object[]) => ({ items: items.map((row) => ({ ...row })) });

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/slow-queries",
      summary: "Slowest statements by mean time (needs pg_stat_statements)",
      security: bearerSecurity,
      middleware,
      request: {
        query: z.object({
          min_calls: z.coerce.number().int().min(0).default(100),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
      },
      responses: {
        200: jsonResponse(Rows, "Statements"),
        409: errorResponse("pg_stat_statements is not installed in this database"),
        ...commonErrors,
      },
    }),
    async (c) => {
      if (!(await hasPgStatStatements(sql))) {
        throw new ApiError(
          409,
          "extension_missing",
          "pg_stat_statements is not enabled: set shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, restart, then run CREATE EXTENSION pg_stat_statements",
        );
      }
      const { min_calls, limit } = c.req.valid("query");
      return c.json(rows(await slowQueries(sql, min_calls, limit)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/connections",
      summary: "Server connections grouped by state",
      security: bearerSecurity,
      middleware,
      responses: { 200: jsonResponse(Rows, "Connection states"), ...commonErrors },
    }),
    async (c) => c.json(rows(await connectionStates(sql)), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/db/locks",
      summary: "Lock requests that are waiting",
      security: bearerSecurity,
      middleware,
      responses: { 200: jsonResponse(Rows, "Waiting locks"), ...commonErrors },
    }),
    async (c) => c.json(rows(await lockWaits(sql)), 200),
  );
  return app;
}

const FaultRuleSchema = z
  .object({
    route: z.string().min(1).max(200),
    error_rate: z.number().min(0).max(1).default(0),
    status: z.number().int().min(500).max(599).default(500),
    delay_rate: z.number().min(0).max(1).default(0),
    delay_ms: z.number().int().min(0).max(60_000).default(0),
  })
  .openapi("FaultRule");
const FaultRules = z.object({ rules: z.array(FaultRuleSchema).max(50) });

/** Fault injection switch (ADMIN_TOKEN, and only when FAULT_INJECTION=true). */
export function faultRoutes(deps: AppDeps) {
  const app = createRouter();
  const enabled: MiddlewareHandler<AppEnv> = async (_c, next) => {
    if (!deps.config.faultInjection)
      throw new ApiError(403, "faults_disabled", "Set FAULT_INJECTION=true to enable");
    await next();
  };
  const middleware = [requireAdminToken(deps.config.adminToken), enabled];

  app.openapi(
    createRoute({
      method: "get",
      path: "/ops/faults",
      summary: "Active fault injection rules",
      security: bearerSecurity,
      middleware,
      responses: { 200: jsonResponse(FaultRules, "Rules"), ...commonErrors },
    }),
    (c) => c.json({ rules: [...deps.faults.list()] }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/ops/faults",
      summary: "Replace the fault injection rules (an empty list turns injection off)",
      security: bearerSecurity,
      middleware,
      request: jsonBody(FaultRules),
      responses: { 200: jsonResponse(FaultRules, "Rules now active"), ...commonErrors },
    }),
    (c) => {
      const { rules } = c.req.valid("json");
      deps.faults.replace(rules);
      c.var.logger.warn("Fault injection rules replaced: {count} rules", { count: rules.length, rules });
      return c.json({ rules }, 200);
    },
  );
  return app;
}

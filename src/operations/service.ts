import type { Sql } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { ApiError } from "../platform/http/errors.ts";
import type { FaultInjector, FaultRule } from "../platform/http/middleware/faults.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import {
  listAlerts,
  type ReceivedAlert,
  type RefusedAlert,
  type StoredAlert,
  storeAlerts,
} from "./alert-store.ts";
import { connectionStates, hasPgStatStatements, lockWaits, slowQueries } from "./monitoring-store.ts";

export type { StoredAlert };

/** Plain rows of a monitoring view (dates and numbers as the database client returns them). */
type Rows = { items: Record<string, unknown>[] };
const rows = (items: readonly object[]): Rows => ({ items: items.map((row) => ({ ...row })) });

/**
 * What operators use (behind ADMIN_TOKEN): the Alertmanager webhook and the alerts it delivered, the
 * database monitoring views, and fault injection (only when FAULT_INJECTION=true).
 */
export function createOperationsService(deps: { sql: Sql; faults: FaultInjector; faultInjection: boolean }) {
  const { sql, faults } = deps;

  function requireFaultInjection(): void {
    if (!deps.faultInjection)
      throw new ApiError(403, "faults_disabled", "Set FAULT_INJECTION=true to enable");
  }

  return {
    /**
     * Stores each state change of an alert (see alert-store.ts) and logs every alert (critical firing
     * alerts as errors); returns how many rows were new and which alerts could not be stored (each also
     * an error line: it is lost otherwise).
     */
    async receiveAlerts(
      receiver: string,
      alerts: ReceivedAlert[],
      logger: Logger,
    ): Promise<{ stored: number; refused: RefusedAlert[] }> {
      const result = await storeAlerts(sql, receiver, alerts);
      for (const { fingerprint, reason } of result.refused) {
        logger.error("Alert {fingerprint} could not be stored: {reason}", { fingerprint, reason });
      }
      for (const alert of alerts) {
        const log = alert.status === "firing" && alert.labels.severity === "critical" ? "error" : "warn";
        logger[log]("Alert {alertname} {status}", {
          alertname: alert.labels.alertname,
          status: alert.status,
          severity: alert.labels.severity,
          fingerprint: alert.fingerprint,
          summary: alert.annotations.summary,
        });
      }
      return result;
    },

    listAlerts(filter: { status?: string | undefined }, page: PageRequest): Promise<Slice<StoredAlert>> {
      return listAlerts(sql, filter, page);
    },

    /** Slowest statements by mean time; 409 with how to enable it when pg_stat_statements is missing. */
    async slowQueries(minCalls: number, limit: number): Promise<Rows> {
      if (!(await hasPgStatStatements(sql))) {
        throw new ApiError(
          409,
          "extension_missing",
          "pg_stat_statements is not enabled: set shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, restart, then run CREATE EXTENSION pg_stat_statements",
        );
      }
      return rows(await slowQueries(sql, minCalls, limit));
    },

    connections: async (): Promise<Rows> => rows(await connectionStates(sql)),
    locks: async (): Promise<Rows> => rows(await lockWaits(sql)),

    faultRules(): readonly FaultRule[] {
      requireFaultInjection();
      return faults.list();
    },

    replaceFaultRules(rules: FaultRule[], logger: Logger): void {
      requireFaultInjection();
      faults.replace(rules);
      logger.warn("Fault injection rules replaced: {count} rules", { count: rules.length, rules });
    },
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;

import { appendFileSync } from "node:fs";
import { pollUntil } from "../../support/processes.ts";
import type { Deployment } from "./deployment.ts";
import { auditWrites, HealthWatch, type Outcome, statusCounts, type WriteAudit, WriteLoad } from "./load.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Concurrent writing clients in every fault scenario (the load). */
export const CLIENTS = 16;

export interface FaultReport extends WriteAudit {
  scenario: string;
  /** Statuses of the requests that overlapped the fault (from its start until writes succeeded again). */
  duringFault: Record<string, number>;
  /** The longest any request took during the fault, in ms. */
  slowestDuringFaultMs: number;
  /** 503 responses without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  /** From the dependency being back (restarted, thawed) to the first acknowledged write, in ms. */
  recoveryMs: number | undefined;
  /** From the fault to the first /health 503, and from the dependency being back to /health 200, in ms. */
  healthErrorAfterMs: number | undefined;
  healthOkAfterRestoreMs: number | undefined;
  slowestHealthProbeMs: number;
  /** Warning and error lines the web processes wrote during the scenario. */
  warningLines: number;
  /** Every process that was started still runs, as the same PID. */
  sameProcesses: boolean;
}

/**
 * Runs `fault` while CLIENTS clients write through every web process of `deployment`, then waits for
 * writes to succeed again and audits every acknowledged write against the database. `fault` resolves
 * with the moment the dependency was back (performance.now()). The report is printed as one
 * `FAULT-REPORT` line (and appended to $FAULT_REPORT_FILE when set) before any assertion runs.
 */
export async function underLoad(
  scenario: string,
  deployment: Deployment,
  fault: () => Promise<number>,
  options: { steadyMs?: number; afterMs?: number; recoveryTimeoutMs?: number } = {},
): Promise<{ report: FaultReport; outcomes: Outcome[] }> {
  const school = await deployment.createSchool(`f-${scenario}`.slice(0, 30));
  const pids = deployment.alive().map((p) => p.pid);
  const run = `${scenario}-${Date.now().toString(36)}`;
  const load = new WriteLoad({
    urls: () => deployment.urls,
    tenant: school.slug,
    token: school.instructor.token as string,
    run,
  });
  const health = new HealthWatch(deployment.urls[0] as string);
  const marks = deployment.logCount();
  load.start(CLIENTS);
  health.start();
  let faultAt = 0;
  let restoredAt = 0;
  let recoveredAt: number | undefined;
  try {
    await pause(options.steadyMs ?? 2000);
    faultAt = performance.now();
    restoredAt = await fault();
    recoveredAt = await pollUntil(
      () => load.outcomes.find((o) => o.status === 201 && o.startedAt >= restoredAt)?.endedAt,
      {
        timeoutMs: options.recoveryTimeoutMs ?? 60_000,
        intervalMs: 50,
        description: `an acknowledged write after the fault (${scenario})`,
      },
    ).catch(() => undefined);
    await pause(options.afterMs ?? 2000);
  } finally {
    await load.stop();
    await health.stop();
  }
  const end = recoveredAt ?? performance.now();
  const during = load.between(faultAt, end);
  const alive = deployment.alive();
  const report: FaultReport = {
    scenario,
    ...(await auditWrites(deployment.databaseUrl, run, load.outcomes)),
    duringFault: statusCounts(during),
    slowestDuringFaultMs: Math.round(Math.max(0, ...during.map((o) => o.endedAt - o.startedAt))),
    unavailableWithoutRetryAfter: load.outcomes.filter((o) => o.status === 503 && !o.retryAfter).length,
    recoveryMs: recoveredAt === undefined ? undefined : Math.round(recoveredAt - restoredAt),
    healthErrorAfterMs: health.firstAfter(faultAt, 503),
    healthOkAfterRestoreMs: health.firstAfter(restoredAt, 200),
    slowestHealthProbeMs: health.slowest(faultAt, end),
    warningLines: deployment.warningsSince(marks),
    sameProcesses: alive.every((p, i) => p.running && p.pid === pids[i]),
  };
  const line = `FAULT-REPORT ${JSON.stringify(report)}`;
  process.stdout.write(`${line}\n`);
  if (process.env.FAULT_REPORT_FILE) appendFileSync(process.env.FAULT_REPORT_FILE, `${line}\n`);
  return { report, outcomes: load.outcomes };
}

import { context } from "@opentelemetry/api";
import { suppressTracing } from "../telemetry/spans.ts";

type CheckStatus = "ok" | "warning" | "degraded" | "error";
export type CheckResult = { status: CheckStatus } & Record<string, unknown>;
export type Check = () => Promise<CheckResult>;

export interface HealthReport {
  status: "ok" | "warning" | "error";
  timestamp: string;
  uptime: number;
  version: string;
  environment: string;
  checks: Record<string, CheckResult & { responseTime: number }>;
}

async function runWithTimeout(check: Check, timeoutMs: number): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: "error", error: `Timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      check().catch((error: unknown) => ({
        status: "error" as const,
        error: error instanceof Error ? error.message : String(error),
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The /health check registry: every check runs in parallel under its own timeout. */
export function createHealthChecks(options: { timeoutMs: number; version: string; environment: string }) {
  const checks = new Map<string, { check: Check; timeoutMs: number }>();
  const startedAt = performance.now();

  return {
    register(name: string, check: Check, timeoutMs = options.timeoutMs): void {
      checks.set(name, { check, timeoutMs });
    },
    async run(): Promise<HealthReport> {
      // Probes run every few seconds; tracing them would drown the real traffic.
      const results = await context.with(suppressTracing(context.active()), () =>
        Promise.all(
          [...checks].map(async ([name, { check, timeoutMs }]) => {
            const start = performance.now();
            const result = await runWithTimeout(check, timeoutMs);
            return [name, { ...result, responseTime: Math.round(performance.now() - start) }] as const;
          }),
        ),
      );
      const statuses = results.map(([, result]) => result.status);
      const status = statuses.includes("error")
        ? "error"
        : statuses.some((s) => s === "warning" || s === "degraded")
          ? "warning"
          : "ok";
      return {
        status,
        timestamp: new Date().toISOString(),
        uptime: Math.round((performance.now() - startedAt) / 1000),
        version: options.version,
        environment: options.environment,
        checks: Object.fromEntries(results),
      };
    },
  };
}

export type HealthChecks = ReturnType<typeof createHealthChecks>;

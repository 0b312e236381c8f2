import type { ExportResult } from "@opentelemetry/core";

/**
 * Counts failed OTLP exports per signal and writes at most one line per signal per interval to stderr
 * (the logger itself may be what cannot be exported). Read by the metrics module.
 */
export const exportFailures: Record<"traces" | "logs", number> = { traces: 0, logs: 0 };

const REPORT_INTERVAL_MS = 60_000;
const lastReport: Record<string, number> = {};

export function recordExportResult(signal: "traces" | "logs", result: ExportResult): void {
  if (result.code === 0) return;
  exportFailures[signal]++;
  const now = Date.now();
  if (now - (lastReport[signal] ?? 0) < REPORT_INTERVAL_MS) return;
  lastReport[signal] = now;
  process.stderr.write(
    `${JSON.stringify({
      timestamp: new Date(now).toISOString(),
      level: "warn",
      message: `OTLP ${signal} export failed: ${result.error?.message ?? "unknown error"}`,
      failuresSoFar: exportFailures[signal],
    })}\n`,
  );
}

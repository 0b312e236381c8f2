/**
 * Starts the OpenTelemetry SDK before the application loads (`node --import`, `bun --preload`,
 * `deno run --preload`). Traces and logs go OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT; the
 * standard OTEL_* variables keep their meaning, OTEL_SDK_DISABLED=true turns everything off.
 * HTTP server spans come from a Hono middleware, not from monkey-patching, so they exist on all runtimes.
 */
import type { ExportResult } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type ResourceDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from "@opentelemetry/resources";
import {
  BatchLogRecordProcessor,
  type LogRecordExporter,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "@opentelemetry/semantic-conventions";
import {
  ATTR_PROCESS_RUNTIME_DESCRIPTION,
  ATTR_PROCESS_RUNTIME_NAME,
  ATTR_PROCESS_RUNTIME_VERSION,
} from "@opentelemetry/semantic-conventions/incubating";
import { recordExportResult } from "./export-health.ts";
import { otlpTargets } from "./otlp-targets.ts";
import { isSecretName } from "./redaction.ts";

type Exporter<T> = {
  export(items: T[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
};

function redactAttributes(items: readonly { attributes: Record<string, unknown> }[]): void {
  for (const item of items) {
    for (const key of Object.keys(item.attributes)) {
      // Secret-named attributes never leave the process, whoever set them (Fedify records request headers).
      if (isSecretName(key)) item.attributes[key] = "[REDACTED]";
    }
  }
}

/**
 * Redacts secret attributes, passes exports through and counts the failures, so a dead Collector
 * shows up in /metrics.
 */
function guardedExporter<T extends { attributes: Record<string, unknown> }, E extends Exporter<T>>(
  signal: "traces" | "logs",
  exporter: E,
): E {
  return new Proxy(exporter, {
    get(target, property, receiver) {
      if (property !== "export") return Reflect.get(target, property, receiver);
      return (items: T[], done: (result: ExportResult) => void) => {
        redactAttributes(items);
        target.export(items, (result) => {
          recordExportResult(signal, result);
          done(result);
        });
      };
    },
  });
}

const env = process.env;
/**
 * Bounded queues: with the Collector down, at most maxQueueSize records wait in memory; the rest are
 * dropped. The standard OTEL_BSP_* (spans) and OTEL_BLRP_* (logs) variables override these defaults.
 */
function queueSettings(prefix: "OTEL_BSP" | "OTEL_BLRP") {
  const number = (name: string, fallback: number) => {
    const value = Number(env[`${prefix}_${name}`]);
    return env[`${prefix}_${name}`] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    maxQueueSize: number("MAX_QUEUE_SIZE", 2048),
    maxExportBatchSize: number("MAX_EXPORT_BATCH_SIZE", 512),
    scheduledDelayMillis: number("SCHEDULE_DELAY", 1000),
    exportTimeoutMillis: number("EXPORT_TIMEOUT", 10_000),
  };
}

/**
 * At most two batches in flight per signal: while the Collector is unreachable each pending export holds
 * its batch in memory through its retries (the default allows 30), which showed as RSS growth.
 */
const EXPORTER_OPTIONS = { concurrencyLimit: 2 };

/** Names the runtime truthfully: under Bun and Deno the process detector sees their Node compatibility layer. */
const runtimeDetector: ResourceDetector = {
  detect: () => {
    const { Bun, Deno } = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
    const runtime = Bun
      ? { name: "bun", version: Bun.version, description: "Bun" }
      : Deno
        ? { name: "deno", version: Deno.version.deno, description: "Deno" }
        : undefined;
    if (!runtime) return { attributes: {} };
    return {
      attributes: {
        [ATTR_PROCESS_RUNTIME_NAME]: runtime.name,
        [ATTR_PROCESS_RUNTIME_VERSION]: runtime.version,
        [ATTR_PROCESS_RUNTIME_DESCRIPTION]: runtime.description,
      },
    };
  },
};

function startSdk(): NodeSDK | undefined {
  if (env.OTEL_SDK_DISABLED === "true") return undefined;
  // The same resolution the start-up summary reports (config.ts), so the log names where data goes.
  const targets = otlpTargets(env);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? "fediflow-api",
      [ATTR_SERVICE_VERSION]: env.APP_VERSION ?? "0.1.0",
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: env.DEPLOYMENT_ENVIRONMENT ?? env.NODE_ENV ?? "development",
    }),
    spanProcessors: targets.traces
      ? [
          new BatchSpanProcessor({
            exporter: guardedExporter<ReadableSpan & { attributes: Record<string, unknown> }, SpanExporter>(
              "traces",
              new OTLPTraceExporter({ ...EXPORTER_OPTIONS, url: targets.traces }),
            ),
            ...queueSettings("OTEL_BSP"),
          }),
        ]
      : [],
    logRecordProcessors: targets.logs
      ? [
          new BatchLogRecordProcessor({
            exporter: guardedExporter<
              ReadableLogRecord & { attributes: Record<string, unknown> },
              LogRecordExporter
            >("logs", new OTLPLogExporter({ ...EXPORTER_OPTIONS, url: targets.logs })),
            ...queueSettings("OTEL_BLRP"),
          }),
        ]
      : [],
    // The SDK's default detectors, then the runtime's own name and version.
    resourceDetectors: [
      serviceInstanceIdDetector,
      processDetector,
      hostDetector,
      osDetector,
      envDetector,
      runtimeDetector,
    ],
    // Metrics are scraped from /metrics (prom-client); no OTLP metric exporter.
    metricReaders: [],
    instrumentations: [],
  });
  sdk.start();
  return sdk;
}

// Imported both by the preload and by main.ts: start once per process.
const globalKey = Symbol.for("fediflow.telemetry.sdk");
const holder = globalThis as { [globalKey]?: NodeSDK | null };
if (holder[globalKey] === undefined) holder[globalKey] = startSdk() ?? null;

/** Flushes and stops the exporters, giving up after `timeoutMs` so shutdown never hangs on a dead Collector. */
export async function shutdownTelemetry(timeoutMs: number): Promise<void> {
  const sdk = holder[globalKey];
  if (!sdk) return;
  holder[globalKey] = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    sdk.shutdown().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

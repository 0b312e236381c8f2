/**
 * Starts the OpenTelemetry SDK before the application loads (`node --import`, `bun --preload`,
 * `deno run --preload`). Traces and logs go OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT; the
 * standard OTEL_* variables keep their meaning, OTEL_SDK_DISABLED=true turns everything off.
 * HTTP server spans come from a Hono middleware, not from monkey-patching, so they exist on all runtimes.
 */
import type { ExportResult } from "@opentelemetry/core";
import type { ResourceDetector } from "@opentelemetry/resources";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_PROCESS_RUNTIME_DESCRIPTION,
  ATTR_PROCESS_RUNTIME_NAME,
  ATTR_PROCESS_RUNTIME_VERSION,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "./attributes.ts";
import { recordExportResult } from "./export-health.ts";
import { otlpTargets } from "./otlp-targets.ts";
import { isSecretName } from "./redaction.ts";

interface Exporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

type WithAttributes = { attributes: Record<string, unknown> };

// Attribute names are a small, fixed set (semantic conventions, log properties): one regex test per name.
const secretVerdicts = new Map<string, boolean>();
function secret(key: string): boolean {
  let verdict = secretVerdicts.get(key);
  if (verdict === undefined) {
    verdict = isSecretName(key);
    if (secretVerdicts.size < 10_000) secretVerdicts.set(key, verdict);
  }
  return verdict;
}

function redactAttributes(items: readonly WithAttributes[]): void {
  for (const item of items) {
    const { attributes } = item;
    for (const key in attributes) {
      // Secret-named attributes never leave the process, whoever set them (Fedify records request headers).
      if (secret(key)) attributes[key] = "[REDACTED]";
    }
  }
}

/**
 * Redacts secret attributes, passes exports through and counts the failures, so a dead Collector
 * shows up in /metrics.
 */
function guardedExporter<T extends WithAttributes>(
  signal: "traces" | "logs",
  exporter: Exporter<T>,
): Exporter<T> {
  return {
    export(items, done) {
      redactAttributes(items);
      exporter.export(items, (result) => {
        recordExportResult(signal, result);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
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

interface RunningSdk {
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK — context manager, propagators, tracer and logger providers with the standard OTEL_*
 * variables (sdk-environment.ts) — and registers it with the API. Its packages are loaded here, and
 * only when telemetry is on: with OTEL_SDK_DISABLED=true none of them is resident.
 */
async function startSdk(): Promise<RunningSdk | undefined> {
  if (env.OTEL_SDK_DISABLED === "true") return undefined;
  const [
    api,
    { diagLogLevelFromString, getStringFromEnv },
    { AsyncLocalStorageContextManager },
    { OTLPLogExporter },
    { OTLPTraceExporter },
    resources,
    { BatchLogRecordProcessor, LoggerProvider },
    { BatchSpanProcessor, TracerProvider },
    fromEnv,
  ] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/core"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/exporter-logs-otlp-proto"),
    import("@opentelemetry/exporter-trace-otlp-proto"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-logs"),
    import("@opentelemetry/sdk-trace"),
    import("./sdk-environment.ts"),
  ]);
  const logLevel = getStringFromEnv("OTEL_LOG_LEVEL");
  if (logLevel)
    api.diag.setLogger(new api.DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator = await fromEnv.propagatorFromEnv();
  if (propagator) api.propagation.setGlobalPropagator(propagator);

  // Our defaults first; the SDK's default detectors (OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME
  // through envDetector) then override them, as in NodeSDK; last the runtime's own name and version.
  const resource = resources
    .resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? "fediflow-api",
      [ATTR_SERVICE_VERSION]: env.APP_VERSION ?? "0.1.0",
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: env.DEPLOYMENT_ENVIRONMENT ?? env.NODE_ENV ?? "development",
    })
    .merge(
      resources.detectResources({
        detectors: [
          resources.serviceInstanceIdDetector,
          resources.processDetector,
          resources.hostDetector,
          resources.osDetector,
          resources.envDetector,
          runtimeDetector,
        ],
      }),
    );

  // The same resolution the start-up summary reports (config.ts), so the log names where data goes.
  const targets = otlpTargets(env);
  const providers: RunningSdk[] = [];
  if (targets.traces) {
    const tracerProvider = new TracerProvider({
      resource,
      sampler: fromEnv.samplerFromEnv(),
      spanLimits: fromEnv.spanLimitsFromEnv(),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: guardedExporter<ReadableSpan & WithAttributes>(
            "traces",
            new OTLPTraceExporter({ ...EXPORTER_OPTIONS, url: targets.traces }),
          ),
          ...queueSettings("OTEL_BSP"),
        }),
      ],
    });
    api.trace.setGlobalTracerProvider(tracerProvider);
    providers.push(tracerProvider);
  }
  if (targets.logs) {
    const loggerProvider = new LoggerProvider({
      resource,
      logRecordLimits: fromEnv.logRecordLimitsFromEnv(),
      processors: [
        new BatchLogRecordProcessor({
          exporter: guardedExporter<ReadableLogRecord & WithAttributes>(
            "logs",
            new OTLPLogExporter({ ...EXPORTER_OPTIONS, url: targets.logs }),
          ),
          ...queueSettings("OTEL_BLRP"),
        }),
      ],
    });
    api.logs.setGlobalLoggerProvider(loggerProvider);
    providers.push(loggerProvider);
  }
  // Metrics are scraped from /metrics (prom-client); no OTLP metric exporter.
  return {
    async shutdown() {
      await Promise.all(providers.map((p) => p.shutdown()));
    },
  };
}

// Imported both by the preload and by main.ts: start once per process.
const globalKey = Symbol.for("fediflow.telemetry.sdk");
const holder = globalThis as { [globalKey]?: RunningSdk | null };
if (holder[globalKey] === undefined) holder[globalKey] = (await startSdk()) ?? null;

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

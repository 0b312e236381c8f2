import { type Config, ConfigError, loadConfig } from "./config.ts";
import { type AdminAccess, resolveAdminAccess } from "./platform/http/admin-token.ts";
import { startServer } from "./platform/http/server.ts";
import { shutdownTelemetry } from "./platform/telemetry/instrumentation.ts";
import { appLogger, configureLogging, type Logger } from "./platform/telemetry/logger.ts";
import { createService } from "./service.ts";
import { type ReportLine, startupReport, unreachableTelemetry } from "./startup-report.ts";

/** Stops start-up with the one line of an invalid setting (exit code 1); rethrows anything else. */
function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

/** `Node.js v24.21.0`, `Bun 1.4.5` or `Deno 2.9.6`. */
function runtimeName(): string {
  const { Bun, Deno } = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (Bun) return `Bun ${Bun.version}`;
  if (Deno) return `Deno ${Deno.version.deno}`;
  return `Node.js ${process.version}`;
}

const log = (logger: Logger) => (line: ReportLine) =>
  line.level === "warn"
    ? logger.warn(line.message, line.properties)
    : logger.info(line.message, line.properties);

/** The one place that reads process globals: environment, signals, exit code. */
async function main(): Promise<void> {
  let config: Config;
  let admin: AdminAccess;
  try {
    config = loadConfig(process.env);
    admin = await resolveAdminAccess({
      adminToken: config.adminToken,
      environment: config.service.environment,
      dataDir: config.database.dataDir,
    });
  } catch (error) {
    exitOnConfigError(error);
  }
  const stopLogging = await configureLogging(config);
  const logger = appLogger("main");
  const service = await createService({ ...config, adminToken: admin.token });
  const server = await startServer(service.app.fetch, {
    port: config.port,
    host: config.host,
    headersTimeoutMs: config.http.headersTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
  });
  const localHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = `http://${localHost.includes(":") ? `[${localHost}]` : localHost}:${server.port}`;
  service.startFederation(url);
  service.lifecycle.ready = true;
  const report = startupReport({
    config,
    url,
    port: server.port,
    runtime: runtimeName(),
    database: service.deps.db.kind,
    cache: service.deps.cache.kind,
    federationOrigin: service.federation ? (config.federation.origin ?? url) : undefined,
    admin,
  });
  for (const line of report) log(logger)(line);
  // Checked once, after the server listens: an absent Collector is reported, never waited for.
  void unreachableTelemetry(config.telemetry).then((lines) => {
    for (const line of lines) log(logger)(line);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.lifecycle.shuttingDown = true;
    // Kept-alive clients are told to go elsewhere at once, during the drain delay too.
    server.drain();
    logger.info("Received {signal}: draining", { signal });
    if (config.shutdownDrainDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDrainDelayMs));
    await server.close(config.shutdownTimeoutMs);
    // Running deliveries finish (bounded); queued ones stay in PostgreSQL for the next worker.
    const { unfinished } = await service.drainFederation(Math.min(5000, config.shutdownTimeoutMs));
    if (unfinished > 0) logger.warn("Released {unfinished} unfinished federation tasks", { unfinished });
    await service.close();
    logger.info("Shutdown complete");
    await shutdownTelemetry(2000);
    await stopLogging();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `FediFlow API failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

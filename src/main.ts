import { ConfigError, loadConfig } from "./config.ts";
import { startServer } from "./platform/http/server.ts";
import { shutdownTelemetry } from "./platform/telemetry/instrumentation.ts";
import { appLogger, configureLogging } from "./platform/telemetry/logger.ts";
import { createService } from "./service.ts";

/** The one place that reads process globals: environment, signals, exit code. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const stopLogging = await configureLogging(config);
  const logger = appLogger("main");
  const service = await createService(config);
  const server = await startServer(service.app.fetch, {
    port: config.port,
    host: config.host,
    headersTimeoutMs: config.http.headersTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
  });
  const localHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  service.startFederation(`http://${localHost.includes(":") ? `[${localHost}]` : localHost}:${server.port}`);
  service.lifecycle.ready = true;
  logger.info("FediFlow API listening on port {port} ({database} database, {cache} cache, role {role})", {
    port: server.port,
    database: service.deps.db.kind,
    cache: service.deps.cache.kind,
    role: config.nodeType,
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

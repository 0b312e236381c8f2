import { resolve } from "node:path";
import type { Config } from "./config.ts";
import type { AdminAccess } from "./platform/http/admin-token.ts";
import { type OtlpTargets, probeEndpoint } from "./platform/telemetry/otlp-targets.ts";

/** What the running instance is made of, as main.ts knows it once the server listens. */
export interface StartupFacts {
  config: Config;
  /** The listening address as a browser on this machine reaches it (`http://localhost:3000`). */
  url: string;
  port: number;
  /** `Node.js v24.21.0`, `Bun 1.4.5`, `Deno 2.9.6`. */
  runtime: string;
  database: "embedded" | "postgresql";
  cache: "memory" | "redis";
  /** The origin federation uses (FEDERATION_ORIGIN, else `url`); undefined when federation is off. */
  federationOrigin: string | undefined;
  admin: AdminAccess;
}

export interface ReportLine {
  level: "info" | "warn";
  /** A LogTape message template: `{name}` is filled from `properties`. */
  message: string;
  properties: Record<string, unknown>;
}

/** The URL without its password, for logs. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "";
  return parsed.toString();
}

/**
 * The start-up summary, one line per part: where it listens and where the API reference is, the
 * database, the cache, federation, telemetry and admin access; each says what is off and the setting
 * that turns it on. Properties never carry a secret (URLs without passwords; the admin token's file,
 * never the token).
 */
export function startupReport(facts: StartupFacts): ReportLine[] {
  const { config, url } = facts;
  const lines: ReportLine[] = [];
  const info = (message: string, properties: Record<string, unknown> = {}) =>
    lines.push({ level: "info", message, properties });
  const warn = (message: string, properties: Record<string, unknown> = {}) =>
    lines.push({ level: "warn", message, properties });

  info("FediFlow API {version} listening on {url} ({runtime}, {environment} environment, role {role})", {
    version: config.service.version,
    url,
    port: facts.port,
    runtime: facts.runtime,
    environment: config.service.environment,
    role: config.nodeType,
  });
  info("API reference: {docs} (OpenAPI document: {openapi})", {
    docs: `${url}/api/v1/docs`,
    openapi: `${url}/api/v1/openapi.json`,
  });

  if (facts.database === "embedded") {
    info(
      "Database: embedded PostgreSQL (PGlite), data in {dataDir}; set DATABASE_URL to use a PostgreSQL server",
      { database: "embedded", dataDir: resolve(config.database.dataDir) },
    );
  } else {
    info("Database: PostgreSQL at {databaseUrl}", {
      database: "postgresql",
      databaseUrl: withoutPassword(config.database.url as string),
    });
  }

  if (facts.cache === "memory") {
    info(
      "Cache: in process (sessions and rate limits live in this process only and end with it); set REDIS_URL to use Redis",
      { cache: "memory" },
    );
  } else {
    info("Cache: Redis at {redisUrl}", {
      cache: "redis",
      redisUrl: withoutPassword(config.redis.url as string),
    });
  }

  if (!facts.federationOrigin) {
    info("Federation: off (FEDERATION_ENABLED=false)", { federation: "off" });
  } else if (config.federation.origin) {
    info("Federation: ActivityPub actors at {origin}", { federation: "on", origin: facts.federationOrigin });
  } else {
    info(
      "Federation: ActivityPub actors at {origin}, the listening address; set FEDERATION_ORIGIN to the public origin before other instances follow them",
      { federation: "on", origin: facts.federationOrigin },
    );
  }

  const { traces, logs } = config.telemetry;
  const exported = traces || logs;
  const metrics = config.metrics.enabled ? `${url}/metrics` : undefined;
  info(
    `Telemetry: ${exported ? "traces to {traces}, logs to {logs} (OTLP/HTTP)" : "OTLP export off (OTEL_SDK_DISABLED=true)"}; ${metrics ? "Prometheus metrics at {metrics}" : "metrics off (METRICS_ENABLED=false)"}`,
    {
      traces: traces ?? "nowhere (OTEL_TRACES_EXPORTER=none)",
      logs: logs ?? "nowhere (OTEL_LOGS_EXPORTER=none)",
      metrics: metrics ?? "off",
    },
  );

  const { admin } = facts;
  if (admin.source === "environment") {
    info(
      "Admin access: ADMIN_TOKEN is set; it is the bearer token for POST /api/v1/tenants and /api/v1/ops",
      {
        adminAccess: "environment",
      },
    );
  } else if (admin.source === "file") {
    info(
      `Admin access: ${admin.created ? "a token was generated for this instance in" : "this instance's token is in"} {file} (readable by this user only); it is the bearer token for POST /api/v1/tenants and /api/v1/ops: export ADMIN_TOKEN=$(cat {file})`,
      { adminAccess: "file", file: admin.path, created: admin.created },
    );
  } else {
    warn(
      "Admin access: off. ADMIN_TOKEN is unset and this is production, so creating tenants and /api/v1/ops answer 403; set ADMIN_TOKEN (16 or more characters) and restart to enable them",
      { adminAccess: "disabled" },
    );
  }
  return lines;
}

/**
 * Checks once that the OTLP receiver accepts connections (each distinct host and port of the
 * signals' URLs, at most `timeoutMs`, after start-up, so it delays nothing) and returns a warning for
 * each that does not: the SDK drops what it cannot export.
 */
export async function unreachableTelemetry(targets: OtlpTargets, timeoutMs = 1000): Promise<ReportLine[]> {
  const origins = [targets.traces, targets.logs].filter((t) => t !== undefined).map((t) => new URL(t).origin);
  const checked = await Promise.all(
    [...new Set(origins)].map(async (endpoint) => ({
      endpoint,
      reason: await probeEndpoint(endpoint, timeoutMs),
    })),
  );
  return checked.flatMap(({ endpoint, reason }) =>
    reason === undefined
      ? []
      : [
          {
            level: "warn" as const,
            message:
              "Telemetry: nothing accepts connections at {endpoint} ({reason}), so traces and logs are dropped (counted in telemetry_export_failures_total) until an OTLP receiver listens there: point OTEL_EXPORTER_OTLP_ENDPOINT at a Collector (docker compose up runs the whole stack with one), or set OTEL_SDK_DISABLED=true",
            properties: { endpoint, reason },
          },
        ],
  );
}

import { z } from "zod";
import { type OtlpTargets, otlpTargets } from "./platform/telemetry/otlp-targets.ts";

/** Raised when the environment does not describe a valid configuration; names the offending variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: string[]) =>
  z.url().refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
    message: `must use ${protocols.join(" or ")}`,
  });

/** Where the embedded database and a development instance's admin token live when DATA_DIR is unset. */
export const DEFAULT_DATA_DIR = "./data";

const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  DATABASE_POOL_MAX: int(1, 500).default(10),
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(1000),
  // Redis command spans are recorded for failed commands and for those at least this slow.
  REDIS_SLOW_COMMAND_MS: int(0, 60_000).default(100),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warning", "error", "fatal"]).default("info"),
  APP_VERSION: z.string().min(1).default("0.1.0"),
  NODE_ENV: z.string().default("development"),
  DEPLOYMENT_ENVIRONMENT: z.string().optional(),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  ALERT_WEBHOOK_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  FEDERATION_ORIGIN: url(["http:", "https:"]).optional(),
  FEDERATION_ENABLED: bool.default(true),
  // Deliveries and fetches to loopback/private addresses are refused unless this is set (tests only).
  FEDERATION_ALLOW_PRIVATE_ADDRESSES: bool.default(false),
  FEDERATION_INBOX_BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).default(256 * 1024),
  // Queue tasks in flight per process that drains the queue; unset: see federationQueueConcurrency().
  FEDERATION_QUEUE_CONCURRENCY: int(1, 256).optional(),
  FEDERATION_QUEUE_PER_HOST: int(1, 256).default(4),
  FEDERATION_QUEUE_POLL_MS: int(10, 60_000).default(1000),
  // Renewed by the running worker every third of it, so it only bounds how long a crashed worker's
  // tasks stay invisible (was 60 s without renewal).
  FEDERATION_QUEUE_LEASE_MS: int(1000, 3_600_000).default(15_000),
  FEDERATION_RETRY_BASE_MS: int(10, 3_600_000).default(5000),
  FEDERATION_RETRY_MAX_MS: int(100, 86_400_000).default(3_600_000),
  FEDERATION_MAX_ATTEMPTS: int(1, 100).default(15),
  FEDERATION_CIRCUIT_THRESHOLD: int(1, 1000).default(5),
  FEDERATION_CIRCUIT_RECOVERY_MS: int(10, 86_400_000).default(30_000),
  FEDERATION_METRICS_MAX_INSTANCES: int(1, 10_000).default(50),
  NODE_TYPE: z.enum(["all", "web", "worker"]).default("all"),
  // scrypt cost as log2(N); 15 = 32 MiB per hash. Tests lower it to keep suites fast.
  PASSWORD_HASH_COST: int(10, 20).default(15),
  SESSION_TTL_SECONDS: int(60, 30 * 24 * 3600).default(8 * 3600),
  RATE_LIMIT_MAX: int(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 3600).default(60),
  // The largest valid API body must fit: content's body holds 200,000 code points, which a client that
  // escapes JSON to ASCII (as schemathesis and Python's json do) sends as up to 12 bytes each (2.4 MB).
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(4 * 1024 * 1024),
  HEALTH_CHECK_TIMEOUT_MS: int(10, 60_000).default(5000),
  HEALTH_MEMORY_LIMIT_BYTES: int(16 * 1024 * 1024, Number.MAX_SAFE_INTEGER).default(512 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  METRICS_MAX_TENANTS: int(1, 10_000).default(100),
  METRICS_ENABLED: bool.default(true),
  FAULT_INJECTION: bool.default(false),
  SHUTDOWN_DRAIN_DELAY_MS: int(0, 120_000).default(0),
  // Longest a request waits for one statement, the wait for a pool connection included; beyond it the
  // request gets 503 database_unavailable. Without it, postgres.js' reconnect back-off held requests 10–21 s.
  DATABASE_QUERY_TIMEOUT_MS: int(100, 600_000).default(5000),
  // Longest a client may take to send its request headers, and its whole request (Node's headersTimeout
  // and requestTimeout): a client trickling bytes cannot hold a connection forever.
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  // Alertmanager's webhook: max_alerts (50 in alertmanager/alertmanager.yml) times the largest alert.
  // 16 MiB leaves 320 KiB per alert; the shipped rules' alerts are under 2 KiB.
  ALERT_WEBHOOK_BODY_LIMIT_BYTES: int(64 * 1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  // Deepest nesting of objects and arrays a JSON body may have (API, webhook, ActivityPub inboxes).
  // Real payloads nest under ten levels; JSON-LD processing overflows the stack at about a thousand.
  JSON_MAX_DEPTH: int(4, 256).default(64),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  database: { url: string | undefined; poolMax: number; dataDir: string; queryTimeoutMs: number };
  redis: { url: string | undefined; commandTimeoutMs: number; slowCommandMs: number };
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  service: { name: string; version: string; environment: string };
  adminToken: string | undefined;
  /** Bearer token Alertmanager sends to /api/v1/ops/alerts; ADMIN_TOKEN when unset. */
  alertWebhookToken: string | undefined;
  federation: FederationConfig;
  /** `all` serves HTTP and drains the delivery queue; `web` only serves; `worker` only drains (and serves probes). */
  nodeType: "all" | "web" | "worker";
  sessionTtlSeconds: number;
  passwordCost: number;
  rateLimit: { max: number; windowSeconds: number };
  bodyLimitBytes: number;
  health: { timeoutMs: number; memoryLimitBytes: number };
  shutdownTimeoutMs: number;
  /** Time between /ready turning 503 and the server closing, for load balancers to notice. */
  shutdownDrainDelayMs: number;
  faultInjection: boolean;
  metrics: { enabled: boolean; maxTenants: number };
  /** Where traces and logs are exported (the standard OTEL_* variables, as the SDK reads them). */
  telemetry: OtlpTargets;
  http: { headersTimeoutMs: number; requestTimeoutMs: number };
  /**
   * Body limit of POST /api/v1/ops/alerts. Above it the webhook answers 503 (Alertmanager retries only
   * 5xx; a 413 would drop the notification silently).
   */
  alertWebhookBodyLimitBytes: number;
  /** Deepest nesting of objects and arrays accepted in a JSON body; deeper is a 400 before parsing. */
  jsonMaxDepth: number;
}

export interface FederationConfig {
  enabled: boolean;
  origin: string | undefined;
  allowPrivateAddresses: boolean;
  inboxBodyLimitBytes: number;
  queue: {
    concurrency: number;
    perHost: number;
    pollMs: number;
    leaseMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    maxAttempts: number;
    circuitThreshold: number;
    circuitRecoveryMs: number;
  };
  metricsMaxInstances: number;
}

/**
 * Default count of queue tasks (deliveries, received activities, fan-outs) one process runs at once.
 * A worker process (`NODE_TYPE=worker`, which compose and Kubernetes route no API traffic to) runs 64:
 * a delivery mostly waits on a server 50-500 ms away, so 16 capped a worker near 16 / RTT deliveries a
 * second, and on loopback 64 delivered ~10 % faster (docs/performance.md, phase 4), while
 * `FEDERATION_QUEUE_PER_HOST` still bounds what one host gets. Where the web runs too (`all`, as
 * `npm start` runs), 16, so that received activities do not crowd API requests out of the database
 * pool.
 */
function federationQueueConcurrency(nodeType: Config["nodeType"]): number {
  return nodeType === "worker" ? 64 : 16;
}

/** Reads and validates the environment once; every other module receives the resulting object. */
export function loadConfig(env: Env): Config {
  // An empty variable means "unset", as in most deployment tools.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? "is invalid"}`);
  }
  const e = parsed.data;
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      "Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    database: {
      url: e.DATABASE_URL,
      // pglite-socket multiplexes every connection onto PGlite's single session message by message, so
      // concurrent extended-protocol queries from two connections can interleave (unnamed portals
      // clobbered: "portal does not exist"). One connection serializes them; PGlite is single-threaded anyway.
      poolMax: e.DATABASE_URL ? e.DATABASE_POOL_MAX : 1,
      dataDir: e.DATA_DIR,
      queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
    },
    redis: {
      url: e.REDIS_URL,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      slowCommandMs: e.REDIS_SLOW_COMMAND_MS,
    },
    logLevel: e.LOG_LEVEL,
    service: {
      name: present.OTEL_SERVICE_NAME ?? "fediflow-api",
      version: e.APP_VERSION,
      environment: e.DEPLOYMENT_ENVIRONMENT ?? e.NODE_ENV,
    },
    adminToken: e.ADMIN_TOKEN,
    alertWebhookToken: e.ALERT_WEBHOOK_TOKEN,
    federation: {
      enabled: e.FEDERATION_ENABLED,
      origin: e.FEDERATION_ORIGIN,
      allowPrivateAddresses: e.FEDERATION_ALLOW_PRIVATE_ADDRESSES,
      inboxBodyLimitBytes: e.FEDERATION_INBOX_BODY_LIMIT_BYTES,
      queue: {
        concurrency: e.FEDERATION_QUEUE_CONCURRENCY ?? federationQueueConcurrency(e.NODE_TYPE),
        perHost: e.FEDERATION_QUEUE_PER_HOST,
        pollMs: e.FEDERATION_QUEUE_POLL_MS,
        leaseMs: e.FEDERATION_QUEUE_LEASE_MS,
        retryBaseMs: e.FEDERATION_RETRY_BASE_MS,
        retryMaxMs: e.FEDERATION_RETRY_MAX_MS,
        maxAttempts: e.FEDERATION_MAX_ATTEMPTS,
        circuitThreshold: e.FEDERATION_CIRCUIT_THRESHOLD,
        circuitRecoveryMs: e.FEDERATION_CIRCUIT_RECOVERY_MS,
      },
      metricsMaxInstances: e.FEDERATION_METRICS_MAX_INSTANCES,
    },
    nodeType: e.NODE_TYPE,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    passwordCost: e.PASSWORD_HASH_COST,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    health: { timeoutMs: e.HEALTH_CHECK_TIMEOUT_MS, memoryLimitBytes: e.HEALTH_MEMORY_LIMIT_BYTES },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS,
    faultInjection: e.FAULT_INJECTION,
    metrics: { enabled: e.METRICS_ENABLED, maxTenants: e.METRICS_MAX_TENANTS },
    telemetry: otlpTargets(present),
    http: { headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS },
    alertWebhookBodyLimitBytes: e.ALERT_WEBHOOK_BODY_LIMIT_BYTES,
    jsonMaxDepth: e.JSON_MAX_DEPTH,
  };
}

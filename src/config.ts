import { z } from "zod";

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

const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  DATABASE_POOL_MAX: int(1, 500).default(10),
  DATA_DIR: z.string().min(1).default("./data"),
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(1000),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warning", "error", "fatal"]).default("info"),
  APP_VERSION: z.string().min(1).default("0.1.0"),
  NODE_ENV: z.string().default("development"),
  DEPLOYMENT_ENVIRONMENT: z.string().optional(),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  ALERT_WEBHOOK_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  FEDERATION_ORIGIN: url(["http:", "https:"]).optional(),
  // scrypt cost as log2(N); 15 = 32 MiB per hash. Tests lower it to keep suites fast.
  PASSWORD_HASH_COST: int(10, 20).default(15),
  SESSION_TTL_SECONDS: int(60, 30 * 24 * 3600).default(8 * 3600),
  RATE_LIMIT_MAX: int(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 3600).default(60),
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
  HEALTH_CHECK_TIMEOUT_MS: int(10, 60_000).default(5000),
  HEALTH_MEMORY_LIMIT_BYTES: int(16 * 1024 * 1024, Number.MAX_SAFE_INTEGER).default(512 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  METRICS_MAX_TENANTS: int(1, 10_000).default(100),
  METRICS_ENABLED: bool.default(true),
  FAULT_INJECTION: bool.default(false),
  SHUTDOWN_DRAIN_DELAY_MS: int(0, 120_000).default(0),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  database: { url: string | undefined; poolMax: number; dataDir: string };
  redis: { url: string | undefined; commandTimeoutMs: number };
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  service: { name: string; version: string; environment: string };
  adminToken: string | undefined;
  /** Bearer token Alertmanager sends to /api/v1/ops/alerts; ADMIN_TOKEN when unset. */
  alertWebhookToken: string | undefined;
  federationOrigin: string | undefined;
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
  return {
    port: e.PORT,
    host: e.HOST,
    database: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, dataDir: e.DATA_DIR },
    redis: { url: e.REDIS_URL, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS },
    logLevel: e.LOG_LEVEL,
    service: {
      name: present.OTEL_SERVICE_NAME ?? "fediflow-api",
      version: e.APP_VERSION,
      environment: e.DEPLOYMENT_ENVIRONMENT ?? e.NODE_ENV,
    },
    adminToken: e.ADMIN_TOKEN,
    alertWebhookToken: e.ALERT_WEBHOOK_TOKEN,
    federationOrigin: e.FEDERATION_ORIGIN,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    passwordCost: e.PASSWORD_HASH_COST,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    health: { timeoutMs: e.HEALTH_CHECK_TIMEOUT_MS, memoryLimitBytes: e.HEALTH_MEMORY_LIMIT_BYTES },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS,
    faultInjection: e.FAULT_INJECTION,
    metrics: { enabled: e.METRICS_ENABLED, maxTenants: e.METRICS_MAX_TENANTS },
  };
}

import type { Context } from "hono";
import type { ActivityService } from "../../activities/service.ts";
import type { Config } from "../../config.ts";
import type { FederationService } from "../../federation/service.ts";
import type { TenantResolver } from "../../tenants/service.ts";
import type { Tenant } from "../../tenants/store.ts";
import type { Session, Sessions } from "../../users/sessions.ts";
import type { Cache } from "../cache/cache.ts";
import type { Database } from "../db/client.ts";
import type { HealthChecks } from "../health/checks.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { FaultInjector } from "./middleware/faults.ts";

/** Everything the HTTP layer needs, built once in main.ts and passed down. */
export interface AppDeps {
  config: Config;
  db: Database;
  cache: Cache;
  metrics: Metrics;
  logger: Logger;
  sessions: Sessions;
  tenants: TenantResolver;
  activities: ActivityService;
  /** ActivityPub federation; undefined when FEDERATION_ENABLED=false. */
  federation: FederationService | undefined;
  health: HealthChecks;
  faults: FaultInjector;
  lifecycle: Lifecycle;
  /** The peer address as the runtime's adapter reports it (differs per runtime). */
  clientAddress: (c: Context) => string | undefined;
}

/** Start-up and shutdown state behind /ready. */
export interface Lifecycle {
  ready: boolean;
  shuttingDown: boolean;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    tenant: Tenant;
    session: Session | undefined;
  };
}

import type { Logger } from "../telemetry/logger.ts";

/** What every request carries once the platform middleware ran (app.ts): its id and its child logger. */
export interface RequestVariables {
  requestId: string;
  logger: Logger;
}

/** The Hono environment of the platform; features extend `Variables` (tenant, session). */
export interface PlatformEnv {
  Variables: RequestVariables;
}

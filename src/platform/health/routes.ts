import { Hono } from "hono";
import type { HealthChecks } from "./checks.ts";

/** Start-up and shutdown state behind /ready (set by main.ts). */
export interface Lifecycle {
  ready: boolean;
  shuttingDown: boolean;
}

/**
 * Liveness (`/livez`: the process answers), readiness (`/ready`: 503 until start-up finished and from
 * the moment shutdown begins) and health (`/health`: every registered check, 503 when one is an error).
 */
export function healthRoutes(health: HealthChecks, lifecycle: Lifecycle) {
  const app = new Hono();
  app.get("/livez", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => {
    const ready = lifecycle.ready && !lifecycle.shuttingDown;
    const status = ready ? "ready" : lifecycle.shuttingDown ? "shutting down" : "starting";
    return c.json({ status }, ready ? 200 : 503);
  });
  app.get("/health", async (c) => {
    const report = await health.run();
    return c.json(report, report.status === "error" ? 503 : 200);
  });
  return app;
}

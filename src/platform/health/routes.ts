import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../http/context.ts";

const OPENMETRICS = /application\/openmetrics-text/;

/** Liveness, readiness, health and the Prometheus scrape endpoint. */
export function healthRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/livez", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => {
    const ready = deps.lifecycle.ready && !deps.lifecycle.shuttingDown;
    const status = ready ? "ready" : deps.lifecycle.shuttingDown ? "shutting down" : "starting";
    return c.json({ status }, ready ? 200 : 503);
  });
  app.get("/health", async (c) => {
    const report = await deps.health.run();
    return c.json(report, report.status === "error" ? 503 : 200);
  });
  if (deps.config.metrics.enabled) {
    app.get("/metrics", async (c) => {
      const openMetrics = OPENMETRICS.test(c.req.header("accept") ?? "");
      const body = await deps.metrics.render(openMetrics);
      return c.body(body, 200, { "Content-Type": deps.metrics.contentType(openMetrics) });
    });
  }
  return app;
}

import { Hono } from "hono";
import type { Metrics } from "./metrics.ts";

const OPENMETRICS = /application\/openmetrics-text/;

/**
 * The Prometheus scrape endpoint: OpenMetrics (with trace-id exemplars) when the scraper accepts it,
 * else the Prometheus text format.
 */
export function metricsRoutes(metrics: Metrics) {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const openMetrics = OPENMETRICS.test(c.req.header("accept") ?? "");
    const body = await metrics.render(openMetrics);
    return c.body(body, 200, { "Content-Type": metrics.contentType(openMetrics) });
  });
  return app;
}

/**
 * What one /metrics scrape costs: render time and size with 50 routes x 20 tenants of HTTP and
 * business series, in this process (the service's metrics module, not a copy). Median of 30 renders.
 */
import { createMetrics } from "../../src/platform/telemetry/metrics.ts";

export interface ScrapeCost {
  text: { ms: number; bytes: number };
  openMetrics: { ms: number; bytes: number };
}

export async function scrapeCost(): Promise<ScrapeCost> {
  const metrics = createMetrics({ maxTenants: 100 });
  for (let r = 0; r < 50; r++) {
    for (let t = 0; t < 20; t++) {
      const labels = {
        method: "GET",
        route: `/api/v1/resource${r}/:id`,
        status_code: t % 4 === 0 ? "404" : "200",
      };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe({
        labels,
        value: 0.004 * t,
        exemplarLabels: { trace_id: "0".repeat(32) },
      });
      metrics.domain.contentCreated(`tenant-${t}`, "lesson", "instructor");
    }
  }
  const measure = async (openMetrics: boolean) => {
    await metrics.render(openMetrics);
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      bytes = (await metrics.render(openMetrics)).length;
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    return { ms: Math.round((samples[15] as number) * 100) / 100, bytes };
  };
  return { text: await measure(false), openMetrics: await measure(true) };
}

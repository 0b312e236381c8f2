import { mkdir, writeFile } from "node:fs/promises";
import { bucketDelta, compareRoute, type RouteComparison } from "../shared/histogram.ts";
import { Client, createFixture, journey } from "./journey.ts";
import {
  evaluateThresholds,
  latencySvg,
  type RouteStats,
  routeStats,
  summaryText,
  type ThresholdResult,
} from "./report.ts";
import { rateAt, shapes, thresholds } from "./scenario.ts";

export interface RunOptions {
  baseUrl: string;
  adminToken: string;
  /** Multiplies every stage's duration (0.1 turns a 10 s smoke into 1 s). */
  scale?: number;
  /** Hard stop, whatever the stages say. */
  maxSeconds?: number;
  /** Prometheus base URL: alerts are read from its /api/v1/alerts after the run. */
  prometheusUrl?: string;
  outDir?: string;
}

export interface RunResult {
  stats: RouteStats[];
  thresholds: ThresholdResult[];
  comparisons: RouteComparison[];
  firingAlerts: string[] | undefined;
  dropped: number;
  summary: string;
}

const TICK_MS = 100;

/** Runs one scenario of ../scenarios.json against a running service, open-model like k6's arrival rate. */
export async function runScenario(name: string, options: RunOptions): Promise<RunResult> {
  const shape = shapes.scenarios[name];
  if (!shape) throw new Error(`unknown scenario ${name}; known: ${Object.keys(shapes.scenarios).join(", ")}`);
  const scale = options.scale ?? 1;
  const setup = new Client(options.baseUrl);
  const fixture = await createFixture(
    setup,
    options.adminToken,
    `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`,
  );
  const metricsBefore = await (await fetch(`${options.baseUrl}/metrics`)).text();

  const client = new Client(options.baseUrl);
  const sessions = new Map<number, Record<string, string>>();
  const freeSlots = Array.from({ length: shape.maxVUs }, (_, i) => shape.maxVUs - 1 - i);
  const running = new Set<Promise<void>>();
  const publishShare = shape.publishShare ?? shapes.mix.postDiscussion;
  let owed = 0;
  let dropped = 0;
  const started = performance.now();
  for (;;) {
    const elapsed = (performance.now() - started) / 1000;
    const rate = rateAt(shape.stages, elapsed, scale);
    if (rate === undefined || (options.maxSeconds !== undefined && elapsed >= options.maxSeconds)) break;
    owed += (rate * TICK_MS) / 1000;
    for (; owed >= 1; owed--) {
      const vu = freeSlots.pop();
      if (vu === undefined) {
        dropped++;
        continue;
      }
      const iteration: Promise<void> = journey(client, fixture, vu, sessions, publishShare).finally(() => {
        freeSlots.push(vu);
        running.delete(iteration);
      });
      running.add(iteration);
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(running);
  const seconds = (performance.now() - started) / 1000;
  const metricsAfter = await (await fetch(`${options.baseUrl}/metrics`)).text();

  const stats = routeStats(client.samples);
  const comparisons = stats.map((s) => {
    const [method, route] = s.route.split(" ") as [string, string];
    return compareRoute(
      s.route,
      { count: s.count, p95Ms: s.p95 },
      bucketDelta(metricsBefore, metricsAfter, method, route),
    );
  });
  const results = evaluateThresholds(stats);
  const firing = options.prometheusUrl ? await firingAlerts(options.prometheusUrl) : undefined;
  let summary = summaryText(name, seconds, stats, results, comparisons, dropped);
  if (firing) summary += `\n\n  alerts firing in Prometheus: ${firing.join(", ") || "none"}`;
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true });
    await writeFile(`${options.outDir}/loadtest-${name}.svg`, latencySvg(comparisons));
    await writeFile(
      `${options.outDir}/loadtest-${name}.json`,
      `${JSON.stringify({ stats, thresholds: results, comparisons, firingAlerts: firing, dropped }, null, 2)}\n`,
    );
  }
  return { stats, thresholds: results, comparisons, firingAlerts: firing, dropped, summary };
}

/** Names of the alerts Prometheus reports as firing. */
export async function firingAlerts(prometheusUrl: string): Promise<string[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await response.json()) as {
    data: { alerts: { state: string; labels: { alertname: string } }[] };
  };
  return [
    ...new Set(body.data.alerts.filter((a) => a.state === "firing").map((a) => a.labels.alertname)),
  ].sort();
}

export { thresholds };

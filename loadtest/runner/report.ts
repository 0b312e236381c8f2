import type { RouteComparison } from "../shared/histogram.ts";
import type { Sample } from "./journey.ts";
import { thresholds } from "./scenario.ts";

export interface RouteStats {
  route: string;
  count: number;
  failed: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

export function routeStats(samples: Sample[]): RouteStats[] {
  const byRoute = new Map<string, Sample[]>();
  for (const sample of samples) byRoute.set(sample.route, [...(byRoute.get(sample.route) ?? []), sample]);
  return [...byRoute.entries()]
    .map(([route, list]) => {
      const ms = list.map((s) => s.ms).sort((a, b) => a - b);
      return {
        route,
        count: list.length,
        failed: list.filter((s) => s.status === 0 || s.status >= 400).length,
        avg: ms.reduce((a, b) => a + b, 0) / ms.length,
        p50: percentile(ms, 0.5),
        p90: percentile(ms, 0.9),
        p95: percentile(ms, 0.95),
        p99: percentile(ms, 0.99),
        max: ms.at(-1) ?? 0,
      };
    })
    .sort((a, b) => a.route.localeCompare(b.route));
}

export interface ThresholdResult {
  name: string;
  limit: string;
  actual: number;
  ok: boolean;
}

/** The k6 thresholds of ../thresholds.json, evaluated on the runner's samples. */
export function evaluateThresholds(stats: RouteStats[]): ThresholdResult[] {
  const total = stats.reduce((sum, s) => sum + s.count, 0);
  const failed = stats.reduce((sum, s) => sum + s.failed, 0);
  const results: ThresholdResult[] = [
    {
      name: "http_req_failed",
      limit: `rate<${thresholds.errorRate}`,
      actual: total ? failed / total : 0,
      ok: failed / Math.max(1, total) < thresholds.errorRate,
    },
  ];
  for (const [route, limits] of Object.entries(thresholds.routes)) {
    const s = stats.find((r) => r.route === route);
    if (!s) continue;
    results.push({
      name: `http_req_duration{route:${route}}`,
      limit: `p(95)<${limits.p95}`,
      actual: s.p95,
      ok: s.p95 < limits.p95,
    });
    results.push({
      name: `http_req_duration{route:${route}}`,
      limit: `p(99)<${limits.p99}`,
      actual: s.p99,
      ok: s.p99 < limits.p99,
    });
  }
  return results;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(2)}ms`);

/** A k6-like end-of-test summary. */
export function summaryText(
  name: string,
  seconds: number,
  stats: RouteStats[],
  results: ThresholdResult[],
  comparisons: RouteComparison[],
  dropped: number,
): string {
  const lines = [`  scenario: ${name} (${seconds.toFixed(1)} s)`, ""];
  for (const result of results)
    lines.push(
      `  ${result.ok ? "✓" : "✗"} ${result.name} ${result.limit} (actual ${result.name === "http_req_failed" ? `${(result.actual * 100).toFixed(2)}%` : fmt(result.actual)})`,
    );
  lines.push("");
  for (const s of stats) {
    lines.push(
      `  http_req_duration{route:${s.route}}`.padEnd(62) +
        ` count=${s.count} failed=${s.failed} avg=${fmt(s.avg)} p(50)=${fmt(s.p50)} p(90)=${fmt(s.p90)} p(95)=${fmt(s.p95)} p(99)=${fmt(s.p99)} max=${fmt(s.max)}`,
    );
  }
  lines.push(`  dropped_iterations: ${dropped}`, "", "  client vs server (http_request_duration_seconds):");
  for (const c of comparisons) {
    const bucket = c.serverBucketMs ? `(${c.serverBucketMs.lower}, ${c.serverBucketMs.upper}] ms` : "-";
    lines.push(
      `  ${c.problems.length ? "✗" : "✓"} ${c.route}: sent ${c.clientCount}, counted ${c.serverCount}; client p95 ${c.clientP95Ms?.toFixed(2) ?? "-"} ms, server p95 ${c.serverP95Ms?.toFixed(2) ?? "-"} ms in ${bucket}${c.problems.length ? ` — ${c.problems.join("; ")}` : ""}`,
    );
  }
  return lines.join("\n");
}

/** An SVG of client p95 against the server's p95 and its bucket, per route. */
export function latencySvg(comparisons: RouteComparison[]): string {
  const rows = comparisons.filter((c) => c.clientP95Ms !== undefined);
  const max = Math.max(
    1,
    ...rows.flatMap((c) => [c.clientP95Ms ?? 0, Math.min(c.serverBucketMs?.upper ?? 0, 10_000)]),
  );
  const scale = (ms: number) => 300 + (500 * Math.min(ms, max)) / max;
  const parts = rows.map((c, i) => {
    const y = 40 + i * 40;
    const bucket = c.serverBucketMs ?? { lower: 0, upper: 0 };
    return [
      `<text x="10" y="${y + 14}" font-size="12">${c.route}</text>`,
      `<rect x="${scale(bucket.lower)}" y="${y}" width="${Math.max(1, scale(Math.min(bucket.upper, max)) - scale(bucket.lower))}" height="20" fill="#cfe3ff"/>`,
      `<line x1="${scale(c.serverP95Ms ?? 0)}" x2="${scale(c.serverP95Ms ?? 0)}" y1="${y}" y2="${y + 20}" stroke="#1f5fbf" stroke-width="3"/>`,
      `<line x1="${scale(c.clientP95Ms ?? 0)}" x2="${scale(c.clientP95Ms ?? 0)}" y1="${y}" y2="${y + 20}" stroke="#d9480f" stroke-width="3"/>`,
    ].join("");
  });
  const height = 60 + rows.length * 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="820" height="${height}" font-family="sans-serif">
<text x="10" y="20" font-size="14">p95 latency: client (orange) vs server (blue) and the server's histogram bucket (shaded); axis 0–${max.toFixed(0)} ms</text>
${parts.join("\n")}
</svg>
`;
}

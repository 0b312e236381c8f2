/**
 * Reading the server's latency histogram from two Prometheus text scrapes, shared by the k6 scripts
 * and the Node runner (plain TypeScript, no runtime APIs). Buckets are cumulative, as exported.
 */
export interface Bucket {
  le: number;
  count: number;
}

function bucketSamples(text: string, method: string, route: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("http_request_duration_seconds_bucket{")) continue;
    if (!line.includes(`method="${method}"`) || !line.includes(`route="${route}"`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1] ?? "";
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    values.set(le, (values.get(le) ?? 0) + value);
  }
  return values;
}

/** Requests the server observed between two scrapes for one route (all status codes), per bucket. */
export function bucketDelta(
  before: string,
  after: string,
  method: string,
  route: string,
): { buckets: Bucket[]; count: number } {
  const earlier = bucketSamples(before, method, route);
  const later = bucketSamples(after, method, route);
  const buckets = [...later.entries()]
    .map(([le, value]) => ({
      le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le),
      count: value - (earlier.get(le) ?? 0),
    }))
    .sort((a, b) => a.le - b.le);
  return { buckets, count: buckets[buckets.length - 1]?.count ?? 0 };
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket that holds the rank. */
export function histogramQuantile(buckets: Bucket[], q: number): number | undefined {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** The bucket (lower, upper] in seconds that contains a value. */
export function bucketAround(buckets: Bucket[], seconds: number): { lower: number; upper: number } {
  let lower = 0;
  for (const { le } of buckets) {
    if (seconds <= le) return { lower, upper: le };
    lower = le;
  }
  return { lower, upper: Number.POSITIVE_INFINITY };
}

export interface RouteComparison {
  route: string;
  clientCount: number;
  serverCount: number;
  clientP95Ms: number | undefined;
  serverP95Ms: number | undefined;
  serverBucketMs: { lower: number; upper: number } | undefined;
  /** Client and server agree: same request count, client p95 inside the server's bucket plus overhead. */
  problems: string[];
}

/**
 * Overhead allowed on top of the server bucket's upper bound: what the server cannot see — loopback
 * network, the client's own event loop and connection queueing. Generous because load generator and
 * service share the machine in CI; the lower bound needs none (client time contains server time).
 */
export const OVERHEAD = { factor: 1.2, ms: 25 };

export function compareRoute(
  route: string,
  client: { count: number; p95Ms: number | undefined },
  server: { buckets: Bucket[]; count: number },
): RouteComparison {
  const problems: string[] = [];
  if (client.count !== server.count)
    problems.push(`client sent ${client.count}, server counted ${server.count}`);
  const serverP95 = histogramQuantile(server.buckets, 0.95);
  const bucket = serverP95 === undefined ? undefined : bucketAround(server.buckets, serverP95);
  const bucketMs = bucket && { lower: bucket.lower * 1000, upper: bucket.upper * 1000 };
  if (client.p95Ms !== undefined && bucketMs) {
    // The client's time contains the server's, so it can never be below the bucket.
    if (client.p95Ms < bucketMs.lower)
      problems.push(`client p95 ${client.p95Ms.toFixed(2)} ms below the server's bucket`);
    if (client.p95Ms > bucketMs.upper * OVERHEAD.factor + OVERHEAD.ms) {
      problems.push(
        `client p95 ${client.p95Ms.toFixed(2)} ms above the server's bucket (${bucketMs.lower}, ${bucketMs.upper}] ms + overhead`,
      );
    }
  }
  return {
    route,
    clientCount: client.count,
    serverCount: server.count,
    clientP95Ms: client.p95Ms,
    serverP95Ms: serverP95 === undefined ? undefined : serverP95 * 1000,
    serverBucketMs: bucketMs,
    problems,
  };
}

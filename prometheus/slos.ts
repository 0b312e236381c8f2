// The SLO targets as numbers, read from prometheus/slos.yaml (Sloth's `prometheus/v1` spec, the one
// place they live) for the code that must agree with the alerts Sloth generates from the same file:
// the dashboards' SLO panels (grafana/generate-dashboards.ts) and the load-test limits
// (test/loadtest/thresholds.test.ts).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const SLOS_PATH = join(dirname(fileURLToPath(import.meta.url)), "slos.yaml");

/** The service's histogram buckets (src/ telemetry, the spec's); a latency threshold must be one. */
export const HISTOGRAM_BUCKETS: readonly number[] = [0.001, 0.01, 0.1, 1, 5, 10];

type SlothSpec = {
  version: string;
  service: string;
  slos: {
    name: string;
    objective: number;
    sli: { raw?: { error_ratio_query: string } };
    alerting: { name: string };
  }[];
};

export type Slo = {
  /** Sloth's SLO name, the `sloth_slo` label of every generated series and alert. */
  name: string;
  /** The burn-rate alerts' name. */
  alert: string;
  /** Objective as a ratio in (0, 1): 99.5 in the spec is 0.995. */
  objective: number;
  /** Error budget as a ratio: 1 - objective, without binary floating-point noise. */
  budget: number;
};
export type Slos = {
  /** Sloth's service, the `sloth_service` label. */
  service: string;
  availability: Slo;
  /** thresholdSeconds: the `le` bound of the bucket that counts a request as fast enough. */
  latency: Slo & { thresholdSeconds: number };
};

/** Rounds away binary floating-point noise (1 - 0.995 = 0.0050000000000000044). */
export const clean = (n: number): number => Number(n.toPrecision(12));

/**
 * Reads the spec; throws naming the file when it lacks the availability or latency SLO, an
 * objective is not a percentage in (0, 100), or the latency SLI does not count exactly one bucket
 * boundary of the service's histogram.
 */
export function loadSlos(path = SLOS_PATH): Slos {
  const spec = parse(readFileSync(path, "utf8")) as SlothSpec;
  const find = (name: string): Slo & { query: string } => {
    const slo = spec.slos?.find((s) => s.name === name);
    if (!slo) throw new Error(`${path}: no SLO named ${name}`);
    if (!(slo.objective > 0 && slo.objective < 100))
      throw new Error(`${path}: ${name} objective ${slo.objective} is not a percentage in (0, 100)`);
    const query = slo.sli.raw?.error_ratio_query;
    if (!query) throw new Error(`${path}: ${name} needs a raw error_ratio_query`);
    const objective = clean(slo.objective / 100);
    return { name, alert: slo.alerting.name, objective, budget: clean(1 - objective), query };
  };
  const { query: _a, ...availability } = find("availability");
  const { query, ...latency } = find("latency");
  const bounds = [...new Set([...query.matchAll(/\ble\s*=\s*"([^"]+)"/g)].map((m) => Number(m[1])))];
  const [thresholdSeconds] = bounds;
  if (
    bounds.length !== 1 ||
    thresholdSeconds === undefined ||
    !HISTOGRAM_BUCKETS.includes(thresholdSeconds)
  ) {
    throw new Error(
      `${path}: the latency SLI must count one le bucket of ${HISTOGRAM_BUCKETS.join(", ")}; it has ${bounds}`,
    );
  }
  return { service: spec.service, availability, latency: { ...latency, thresholdSeconds } };
}

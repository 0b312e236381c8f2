import { readFileSync } from "node:fs";

export interface Stage {
  duration: string;
  target: number;
}
export interface ScenarioShape {
  preAllocatedVUs: number;
  maxVUs: number;
  stages: Stage[];
  publishShare?: number;
}
export interface Shapes {
  tenants: number;
  studentsPerTenant: number;
  coursesPerTenant: number;
  scenarios: Record<string, ScenarioShape>;
  mix: { readContent: number; readLesson: number; postDiscussion: number };
}
export interface Thresholds {
  errorRate: number;
  routes: Record<string, { p95: number; p99: number }>;
}

const read = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), "utf8")) as T;

/** The same files the k6 scripts open(). */
export const shapes = read<Shapes>("scenarios.json");
export const thresholds = read<Thresholds>("thresholds.json");

/** k6 duration strings: "1m30s", "10s", "2h". */
export function seconds(duration: string): number {
  let total = 0;
  for (const [, value, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(value) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as "ms" | "s" | "m" | "h"];
  }
  return total;
}

/**
 * The ramping-arrival-rate schedule as k6 runs it: the rate moves linearly from the previous stage's
 * target to this stage's target. `scale` shortens every stage (e.g. 0.1 for a CI-sized run).
 */
export function rateAt(stages: Stage[], elapsedSeconds: number, scale = 1): number | undefined {
  let start = 0;
  let from = 0;
  for (const stage of stages) {
    const length = seconds(stage.duration) * scale;
    if (elapsedSeconds < start + length)
      return from + ((stage.target - from) * (elapsedSeconds - start)) / length;
    start += length;
    from = stage.target;
  }
  return undefined;
}

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { shapes, thresholds } from "../../loadtest/runner/scenario.ts";

const slo = parse(readFileSync(new URL("../../prometheus/slo.yaml", import.meta.url), "utf8")) as {
  slos: { name: string; objective: number; threshold_seconds?: number }[];
};

test("the load-test error-rate limit is the availability SLO's error budget", () => {
  const availability = slo.slos.find((s) => s.name === "availability");
  assert.ok(availability);
  assert.ok(
    Math.abs(thresholds.errorRate - (1 - availability.objective)) < 1e-9,
    `${thresholds.errorRate} vs 1 - ${availability.objective}`,
  );
});

test("every route's p99 limit is at most the latency SLO's threshold, so passing load tests keep the SLO", () => {
  const latency = slo.slos.find((s) => s.name === "latency");
  assert.ok(latency?.threshold_seconds);
  assert.equal(latency.objective, 0.99, "the p99 limits correspond to a 99% objective");
  for (const [route, limits] of Object.entries(thresholds.routes)) {
    if (route === "POST /api/v1/sessions") continue; // password hashing is deliberately slow; sign-in is once per session
    assert.ok(
      limits.p99 <= latency.threshold_seconds * 1000,
      `${route} p99 ${limits.p99} ms > ${latency.threshold_seconds * 1000} ms`,
    );
    assert.ok(limits.p95 <= limits.p99);
  }
});

test("every k6 scenario the issue names exists with a ramping arrival-rate shape", () => {
  for (const name of ["smoke", "load", "stress", "spike", "soak", "federation"]) {
    const shape = shapes.scenarios[name];
    assert.ok(shape, name);
    assert.ok(shape.stages.length > 0 && shape.maxVUs >= shape.preAllocatedVUs);
  }
});

// The load-test limits (loadtest/thresholds.json) against the SLOs of prometheus/slos.yaml, the Sloth
// spec the burn-rate alerts are generated from: passing a load test must mean keeping the SLOs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { shapes, thresholds } from "../../loadtest/runner/scenario.ts";
import { loadSlos } from "../../prometheus/slos.ts";

const slos = loadSlos();

test("the load-test error-rate limit is the availability SLO's error budget", () => {
  assert.equal(thresholds.errorRate, slos.availability.budget);
});

test("every route's p99 limit is at most the latency SLO's threshold, so passing load tests keep the SLO", () => {
  const { objective, thresholdSeconds } = slos.latency;
  assert.equal(objective, 0.99, "the p99 limits correspond to a 99% objective");
  for (const [route, limits] of Object.entries(thresholds.routes)) {
    if (route === "POST /api/v1/sessions") continue; // password hashing is deliberately slow; sign-in is once per session
    assert.ok(
      limits.p99 <= thresholdSeconds * 1000,
      `${route} p99 ${limits.p99} ms > ${thresholdSeconds * 1000} ms`,
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

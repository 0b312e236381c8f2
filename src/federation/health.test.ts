import assert from "node:assert/strict";
import { test } from "node:test";
import { federationCheck } from "./health.ts";

const TEST_TIMEOUT_MS = 60_000;

test("federation: ok when more than half the known instances are healthy, degraded otherwise, ok when none known", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const cases: [healthy: number, total: number, expected: string][] = [
    [0, 0, "ok"],
    [1, 1, "ok"],
    [0, 1, "degraded"],
    [2, 3, "ok"],
    [3, 4, "ok"],
    [2, 4, "degraded"],
    [1, 3, "degraded"],
    [51, 100, "ok"],
    [50, 100, "degraded"],
  ];
  for (const [healthy, total, expected] of cases) {
    const result = await federationCheck(async () => ({ healthy, total }))();
    assert.equal(result.status, expected, `${healthy}/${total}`);
    assert.equal(result.healthy, healthy);
    assert.equal(result.total, total);
  }
});

// The other half of the consistency check: every service metric that a rule or dashboard reads is
// really exported by the running service (scraped here after exercising the API), so a rename on
// either side fails this test.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { HISTOGRAM_BUCKETS } from "../../prometheus/slos.ts";
import { createSchool, expectStatus } from "../support/api.ts";
import { startTarget, type Target } from "../support/target.ts";
import {
  collectDashboardExpressions,
  collectRuleExpressions,
  EXPORTER_PREFIXES,
  metricNames,
  PROMETHEUS_SERIES,
  SERVICE_METRICS,
} from "./promql.ts";
import { loadRules } from "./support.ts";

let target: Target;
let exported: Set<string>;
let scrape = "";

/** Sample names of a text-format scrape, with histogram and summary series expanded. */
function sampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
      else if (kind === "summary") for (const suffix of ["", "_sum", "_count"]) names.add(name + suffix);
      else names.add(name);
    }
  }
  return names;
}

before(async () => {
  target = await startTarget();
  const school = await createSchool(target.fetch, "live-metrics");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Live",
    course_type: "live",
  });
  expectStatus(await school.student.post(`/courses/${course.body.id}/enrollments`), 201);
  scrape = await (await target.fetch("/metrics")).text();
  exported = sampleNames(scrape);
});
after(() => target.close());

test("every metric the alerting side calls a service metric is exported by the running service", () => {
  const missing = SERVICE_METRICS.filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], `declared service metrics missing from /metrics: ${missing.join(", ")}`);
});

test("every metric read by a rule or dashboard is exported by the service or comes from a named exporter", () => {
  const recordingRules = new Set(loadRules().flatMap((r) => (r.record ? [r.record] : [])));
  const unknown: string[] = [];
  for (const { source, expr } of [...collectRuleExpressions(), ...collectDashboardExpressions()]) {
    for (const name of metricNames(expr)) {
      const fromExporter = EXPORTER_PREFIXES.some((p) => name.replace(/^~/, "").startsWith(p));
      if (exported.has(name) || fromExporter || PROMETHEUS_SERIES.includes(name) || recordingRules.has(name))
        continue;
      unknown.push(`${source}: ${name}`);
    }
  }
  assert.deepEqual(unknown, []);
});

test("the latency histogram's buckets are the ones the SLO spec's threshold is checked against", () => {
  const bounds = new Set(
    [...scrape.matchAll(/^http_request_duration_seconds_bucket\{[^}]*le="([^"]+)"/gm)].map(
      (m) => m[1] as string,
    ),
  );
  assert.deepEqual([...bounds].filter((b) => b !== "+Inf").map(Number), [...HISTOGRAM_BUCKETS]);
});

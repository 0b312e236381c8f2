import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedLabel, createMetrics } from "./metrics.ts";

test("a bounded label passes the first `cap` distinct values and collapses later ones to `other`", () => {
  const label = new BoundedLabel(2);
  assert.equal(label.value("a"), "a");
  assert.equal(label.value("b"), "b");
  assert.equal(label.value("c"), "other");
  assert.equal(label.value("a"), "a", "a value seen before the cap keeps passing");
  assert.equal(label.value("d"), "other");
});

test("domain events count under the spec's names with tenants bounded", async () => {
  const metrics = createMetrics({ maxTenants: 1 });
  metrics.domain.sessionStarted("school-a", "student");
  metrics.domain.sessionStarted("school-b", "student");
  metrics.domain.enrolled("school-a", "cohort");
  metrics.domain.contentCreated("school-a", "lesson", "instructor");
  const text = await metrics.render(false);
  assert.match(text, /^user_sessions_total\{tenant="school-a",user_type="student"\} 1$/m);
  assert.match(text, /^user_sessions_total\{tenant="other",user_type="student"\} 1$/m);
  assert.match(text, /^course_enrollments_total\{tenant="school-a",course_type="cohort"\} 1$/m);
  assert.match(
    text,
    /^content_created_total\{tenant="school-a",content_type="lesson",user_role="instructor"\} 1$/m,
  );
});

test("rendering OpenMetrics does not rename counters for the next text-format scrape", async () => {
  const metrics = createMetrics({ maxTenants: 10 });
  metrics.httpRequests.inc({ method: "GET", route: "/x", status_code: "200" });
  const openMetrics = await metrics.render(true);
  assert.match(openMetrics, /^# TYPE http_requests counter$/m);
  assert.match(openMetrics, /^# EOF$/m);
  const text = await metrics.render(false);
  assert.match(text, /^# TYPE http_requests_total counter$/m);
  assert.match(text, /^http_requests_total\{method="GET",route="\/x",status_code="200"\} 1$/m);
  assert.equal(metrics.contentType(true), "application/openmetrics-text; version=1.0.0; charset=utf-8");
});

// Every PromQL expression in the rules and dashboards parses, is accepted by the pinned Prometheus itself,
// and reads only metrics that exist (the service's, an exporter's, Prometheus' own or a recording rule).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { stringify } from "yaml";
import {
  collectDashboardExpressions,
  collectRuleExpressions,
  isKnownMetric,
  metricNames,
  parsePromQL,
  SERVICE_METRICS,
  substituteGrafanaVariables,
  variableQueryExpr,
} from "./promql.ts";
import { loadRules, run, tool } from "./support.ts";

const scratch = mkdtempSync(join(tmpdir(), "fediflow-promql-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const recordingRules = new Set(loadRules().flatMap((r) => (r.record ? [r.record] : [])));
const ruleExprs = collectRuleExpressions();
const dashboardExprs = collectDashboardExpressions();

describe("promql helpers", () => {
  test("substituteGrafanaVariables keeps expressions valid", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} syntax, not a JS template
    const grafanaExpr = 'rate(x{a=~"$tenant", b="${route}", c=~"${instance:regex}"}[$__rate_interval])';
    assert.equal(substituteGrafanaVariables(grafanaExpr), 'rate(x{a=~"x", b="x", c=~"x"}[5m])');
    assert.equal(substituteGrafanaVariables("increase(x[$__range]) / $__range_s"), "increase(x[1h]) / 3600");
  });

  test("parsePromQL rejects invalid PromQL", () => {
    assert.throws(() => parsePromQL("sum(rate(x[5m])"), /invalid PromQL/);
    assert.throws(() => parsePromQL('x{a="b"'), /invalid PromQL/);
    assert.throws(() => parsePromQL(""), /invalid PromQL/);
    parsePromQL("sum by (job) (rate(x[5m])) > 0.1 and on (job) y");
  });

  test("metricNames lists selectors and __name__ matchers, not functions or labels", () => {
    assert.deepEqual(
      metricNames(
        'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="a"}[5m]))) / on (job) job:x:rate5m + {__name__="up"} + absent({__name__=~"node_.*"})',
      ),
      ["http_request_duration_seconds_bucket", "job:x:rate5m", "up", "~node_.*"],
    );
  });

  test("variableQueryExpr extracts the selector of label_values()", () => {
    assert.equal(variableQueryExpr('label_values(up{job="a"}, instance)'), 'up{job="a"}');
    assert.equal(variableQueryExpr("label_values(instance)"), undefined);
  });

  test("isKnownMetric", () => {
    assert.ok(isKnownMetric("http_requests_total", recordingRules));
    assert.ok(isKnownMetric("pg_up", recordingRules));
    assert.ok(isKnownMetric("slo:sli_error:ratio_rate5m", recordingRules));
    assert.ok(!isKnownMetric("http_requests_count", recordingRules));
    assert.ok(!isKnownMetric("event_loop_lag_milliseconds", recordingRules));
  });
});

describe("every expression parses and names known metrics", () => {
  test("the collections are not empty", () => {
    assert.ok(ruleExprs.length >= 40, `${ruleExprs.length} rule expressions`);
    assert.ok(dashboardExprs.length >= 30, `${dashboardExprs.length} dashboard expressions`);
  });

  for (const { source, expr } of [...ruleExprs, ...dashboardExprs]) {
    test(source, () => {
      const names = metricNames(expr);
      assert.ok(names.length > 0 || /^vector\(/.test(expr), `${source} reads no metric`);
      const unknown = names.filter((n) => !isKnownMetric(n, recordingRules));
      assert.deepEqual(unknown, [], `${source} reads unknown metrics`);
    });
  }

  test("the pinned Prometheus accepts every dashboard expression (promtool check rules)", () => {
    // lezer-promql follows the newest grammar; promtool is the version we run.
    const file = join(scratch, "dashboard-exprs.yml");
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: "dashboard-expressions",
            rules: dashboardExprs.map((e, i) => ({ record: `dashboard:expr:${i}`, expr: e.expr })),
          },
        ],
      }),
    );
    const r = run(tool("promtool"), ["check", "rules", file]);
    assert.equal(r.code, 0, r.output);
  });

  test("the dashboards read every service metric", () => {
    const read = new Set(dashboardExprs.flatMap((e) => metricNames(e.expr)));
    const unread = SERVICE_METRICS.filter(
      (m) => !read.has(m) && !/_(sum|count)$/.test(m) && m !== "nodejs_gc_duration_seconds_bucket",
    );
    assert.deepEqual(unread, []);
  });
});

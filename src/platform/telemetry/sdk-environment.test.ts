import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import {
  logRecordLimitsFromEnv,
  propagatorFromEnv,
  samplerFromEnv,
  spanLimitsFromEnv,
} from "./sdk-environment.ts";

const touched = new Set<string>();
function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    touched.add(name);
    process.env[name] = value;
  }
}
afterEach(() => {
  for (const name of touched) delete process.env[name];
  touched.clear();
});

test("OTEL_TRACES_SAMPLER and its ratio select the SDK's samplers; unset keeps the SDK default", () => {
  assert.equal(samplerFromEnv(), undefined);
  const cases: [string, string | undefined, string][] = [
    ["always_on", undefined, "AlwaysOnSampler"],
    ["always_off", undefined, "AlwaysOffSampler"],
    ["traceidratio", "0.25", "TraceIdRatioBased{0.25}"],
    ["parentbased_traceidratio", "0.1", "ParentBased{root=TraceIdRatioBased{0.1}"],
    ["parentbased_always_off", undefined, "ParentBased{root=AlwaysOffSampler"],
    // Out of range: the spec's default ratio, 1.
    ["traceidratio", "7", "TraceIdRatioBased{1}"],
  ];
  for (const [name, arg, description] of cases) {
    setEnv({ OTEL_TRACES_SAMPLER: name, ...(arg ? { OTEL_TRACES_SAMPLER_ARG: arg } : {}) });
    assert.ok(samplerFromEnv()?.toString().startsWith(description), `${name} ${arg ?? ""}`);
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
  }
  setEnv({ OTEL_TRACES_SAMPLER: "sometimes" });
  assert.equal(samplerFromEnv(), undefined, "an unknown name keeps the default");
});

test("OTEL_PROPAGATORS: W3C trace context and baggage by default, B3 on request, none", async () => {
  assert.deepEqual((await propagatorFromEnv())?.fields(), ["traceparent", "tracestate", "baggage"]);
  setEnv({ OTEL_PROPAGATORS: "tracecontext" });
  assert.deepEqual((await propagatorFromEnv())?.fields(), ["traceparent", "tracestate"]);
  setEnv({ OTEL_PROPAGATORS: "b3multi,tracecontext" });
  assert.deepEqual((await propagatorFromEnv())?.fields(), [
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-flags",
    "x-b3-sampled",
    "x-b3-parentspanid",
    "traceparent",
    "tracestate",
  ]);
  setEnv({ OTEL_PROPAGATORS: "none" });
  assert.equal(await propagatorFromEnv(), null);
  setEnv({ OTEL_PROPAGATORS: "xray" });
  assert.equal(await propagatorFromEnv(), null, "only unknown names: no propagator");
});

test("span and log record limits: the specific variable, else the general one", () => {
  assert.equal(spanLimitsFromEnv().attributeCountLimit, undefined);
  setEnv({ OTEL_ATTRIBUTE_COUNT_LIMIT: "64", OTEL_SPAN_EVENT_COUNT_LIMIT: "8" });
  assert.equal(spanLimitsFromEnv().attributeCountLimit, 64);
  assert.equal(spanLimitsFromEnv().eventCountLimit, 8);
  assert.equal(logRecordLimitsFromEnv().attributeCountLimit, 64);
  setEnv({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: "32", OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: "1000" });
  assert.equal(spanLimitsFromEnv().attributeCountLimit, 32);
  assert.equal(logRecordLimitsFromEnv().attributeCountLimit, 64);
  assert.equal(logRecordLimitsFromEnv().attributeValueLengthLimit, 1000);
});

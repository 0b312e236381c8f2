/**
 * The standard OTEL_* variables the SDK set-up reads, as the OpenTelemetry SDK configuration
 * specification defines them (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables)
 * and as @opentelemetry/sdk-node 0.301 reads them (create-from-env.ts, utils.ts). NodeSDK itself is not
 * used: it imports the gRPC, HTTP/JSON, Prometheus and Zipkin exporters, the metrics SDK and a YAML
 * configuration parser whatever is configured (about 12 MB resident and 6 MB of heap that this service
 * never uses). Values are read with @opentelemetry/core's env helpers, so parsing stays the SDK's.
 */
import { diag, type TextMapPropagator } from "@opentelemetry/api";
import {
  CompositePropagator,
  getNumberFromEnv,
  getStringFromEnv,
  getStringListFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import type { SpanLimits } from "@opentelemetry/sdk-trace";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; undefined: the SDK's default, parentbased_always_on. */
export function samplerFromEnv(): Sampler | undefined {
  const name = getStringFromEnv("OTEL_TRACES_SAMPLER");
  if (name === undefined) return undefined;
  const ratio = () => {
    const value = getNumberFromEnv("OTEL_TRACES_SAMPLER_ARG");
    if (value === undefined) return 1;
    if (value < 0 || value > 1) {
      diag.error(`OTEL_TRACES_SAMPLER_ARG=${value} is outside [0, 1]; using 1`);
      return 1;
    }
    return value;
  };
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio());
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      diag.error(`unknown OTEL_TRACES_SAMPLER value "${name}", using the default`);
      return undefined;
  }
}

/**
 * OTEL_PROPAGATORS: `tracecontext`, `baggage` (the default is both), `b3`, `b3multi`, `none`. B3's
 * package is loaded only when named. null: no propagator at all.
 */
export async function propagatorFromEnv(): Promise<TextMapPropagator | null> {
  const names = [...new Set(getStringListFromEnv("OTEL_PROPAGATORS") ?? ["tracecontext", "baggage"])];
  if (names.includes("none")) return null;
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    if (name === "tracecontext") propagators.push(new W3CTraceContextPropagator());
    else if (name === "baggage") propagators.push(new W3CBaggagePropagator());
    else if (name === "b3" || name === "b3multi") {
      const { B3InjectEncoding, B3Propagator } = await import("@opentelemetry/propagator-b3");
      propagators.push(
        new B3Propagator(name === "b3multi" ? { injectEncoding: B3InjectEncoding.MULTI_HEADER } : {}),
      );
    } else diag.warn(`unknown propagator "${name}" in OTEL_PROPAGATORS`);
  }
  if (propagators.length === 0) return null;
  return propagators.length === 1
    ? (propagators[0] as TextMapPropagator)
    : new CompositePropagator({ propagators });
}

/** OTEL_SPAN_* and OTEL_ATTRIBUTE_* limits; unset ones keep the SDK's defaults. */
export function spanLimitsFromEnv(): SpanLimits {
  return {
    attributeCountLimit:
      getNumberFromEnv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") ?? getNumberFromEnv("OTEL_ATTRIBUTE_COUNT_LIMIT"),
    attributeValueLengthLimit:
      getNumberFromEnv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") ??
      getNumberFromEnv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
    eventCountLimit: getNumberFromEnv("OTEL_SPAN_EVENT_COUNT_LIMIT"),
    linkCountLimit: getNumberFromEnv("OTEL_SPAN_LINK_COUNT_LIMIT"),
    attributePerEventCountLimit: getNumberFromEnv("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"),
    attributePerLinkCountLimit: getNumberFromEnv("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"),
  };
}

/** OTEL_LOGRECORD_* and OTEL_ATTRIBUTE_* limits of log records. */
export function logRecordLimitsFromEnv(): {
  attributeCountLimit?: number;
  attributeValueLengthLimit?: number;
} {
  return {
    attributeCountLimit:
      getNumberFromEnv("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT") ??
      getNumberFromEnv("OTEL_ATTRIBUTE_COUNT_LIMIT"),
    attributeValueLengthLimit:
      getNumberFromEnv("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT") ??
      getNumberFromEnv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
  };
}

import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
} from "../../telemetry/attributes.ts";
import { type Logger, withRequestLogContext } from "../../telemetry/logger.ts";
import type { Metrics } from "../../telemetry/metrics.ts";
import { KNOWN_METHODS } from "../allow.ts";
import type { PlatformEnv } from "../context.ts";

const tracer = trace.getTracer("fediflow-http");
const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};
// With exemplars enabled prom-client only accepts the object form of observe(); an empty label set
// records no exemplar (unsampled requests have no trace to link to).
const NO_EXEMPLAR = {};
/** Label for requests that matched no route: raw paths would make the series unbounded. */
const UNMATCHED_ROUTE = "unmatched";

/** The route template that answered, or `unmatched` when only middleware (method ALL) ran. */
function routeTemplate(c: Parameters<MiddlewareHandler>[0]): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route && route.method !== "ALL" ? route.path : UNMATCHED_ROUTE;
}

/**
 * One middleware per request for the three signals, sharing one clock and one route lookup: the
 * server span `METHOD /route/template` (continuing an incoming traceparent), the HTTP metrics with a
 * trace-id exemplar, and the access log line. Runs after hono's request-id middleware, whose id it
 * records on the span and, through the request's log context, on every log line; the tenant and user
 * are added to that context when known (addRequestLogFields). The access line is written from within
 * the span's context, which the rest of the request runs in: one context per request, no child logger.
 */
export function telemetry(metrics: Metrics, logger: Logger): MiddlewareHandler<PlatformEnv> {
  return async (c, next) => {
    const started = performance.now();
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : "OTHER";
    const requestId = c.var.requestId;
    const userAgent = c.req.header("user-agent") ?? "";
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: c.req.path,
          [ATTR_USER_AGENT_ORIGINAL]: userAgent,
          "http.request.id": requestId,
        },
      },
      parent,
    );
    c.set("logger", logger);
    const observe = async () => {
      try {
        await next();
      } finally {
        const status = c.res.status;
        const route = routeTemplate(c);
        const seconds = (performance.now() - started) / 1000;
        span.updateName(`${method} ${route}`);
        span.setAttributes({ [ATTR_HTTP_ROUTE]: route, [ATTR_HTTP_RESPONSE_STATUS_CODE]: status });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();

        const labels = { method, route, status_code: String(status) };
        metrics.httpRequests.inc(labels);
        const spanContext = span.spanContext();
        const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
        metrics.httpRequestDuration.observe({
          labels,
          value: seconds,
          exemplarLabels: sampled ? { trace_id: spanContext.traceId } : NO_EXEMPLAR,
        });
        logger.info("{method} {route} {status} {durationMs}ms", {
          method,
          route,
          path: c.req.path,
          status,
          durationMs: Math.round(seconds * 1e6) / 1000,
        });
      }
    };
    // Every line written while serving the request, a library's (Fedify's) included, carries its id.
    await withRequestLogContext({ requestId, userAgent }, () =>
      context.with(trace.setSpan(parent, span), observe),
    );
  };
}

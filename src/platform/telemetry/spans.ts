import { type Context, type Span, SpanStatusCode } from "@opentelemetry/api";
import { suppressTracing as suppress } from "@opentelemetry/core";

/** Marks a span as failed with the error recorded as an exception event (the spec's pattern). */
export function recordFailure(span: Span, error: unknown): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  return err;
}

/** Runs `work` as the body of `span`: OK status on success, the error recorded on failure, ended either way. */
export async function inSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    span.setStatus({ code: SpanStatusCode.OK });
    return result;
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * `ctx` with tracing suppressed: the SDK creates no spans under it (health probes, scrapes, queue
 * polling run every few seconds and would drown real traffic). The flag is the SDK's own context key,
 * so this wraps `@opentelemetry/core` here and business code needs only `@opentelemetry/api`.
 */
export function suppressTracing(ctx: Context): Context {
  return suppress(ctx);
}

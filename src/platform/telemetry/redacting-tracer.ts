import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { isSecretHeaderAttribute } from "./redaction.ts";

function clean(attributes: Attributes | undefined): Attributes | undefined {
  if (!attributes) return attributes;
  let result: Attributes | undefined;
  for (const key of Object.keys(attributes)) {
    if (isSecretHeaderAttribute(key)) {
      result ??= { ...attributes };
      delete result[key];
    }
  }
  return result ?? attributes;
}

function redactSpan(span: Span): Span {
  const proxy: Span = new Proxy(span, {
    get(target, property) {
      if (property === "setAttribute") {
        return (key: string, value: AttributeValue) => {
          if (!isSecretHeaderAttribute(key)) target.setAttribute(key, value);
          return proxy;
        };
      }
      if (property === "setAttributes") {
        return (attributes: Attributes) => {
          target.setAttributes(clean(attributes) ?? {});
          return proxy;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return proxy;
}

class RedactingTracer implements Tracer {
  readonly #inner: () => Tracer;
  constructor(inner: () => Tracer) {
    this.#inner = inner;
  }

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    const safe = options ? { ...options, attributes: clean(options.attributes) } : options;
    return redactSpan(this.#inner().startSpan(name, safe, ctx));
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args.pop() as F;
    const options = args[0] as SpanOptions | undefined;
    const parent = (args[1] as Context | undefined) ?? context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

/**
 * Wraps the global tracer provider (resolved at every call, so the SDK started by the preload is used)
 * and drops credential-bearing header attributes from every span Fedify creates.
 */
export function redactingTracerProvider(): TracerProvider {
  return {
    getTracer: (name, version, options) =>
      new RedactingTracer(() => trace.getTracerProvider().getTracer(name, version, options)),
  };
}

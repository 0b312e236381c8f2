import { connect } from "node:net";

/** Where the SDK sends each OTLP signal; undefined when that signal is not exported. */
export interface OtlpTargets {
  traces: string | undefined;
  logs: string | undefined;
}

const DEFAULT_ENDPOINT = "http://localhost:4318";

/**
 * The URLs the OTLP/HTTP exporters post to, resolved from the standard variables as the SDK does
 * (OTel specification, "OTLP Exporter Configuration"): OTEL_SDK_DISABLED=true or
 * OTEL_{TRACES,LOGS}_EXPORTER=none turn a signal off; OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT is used
 * as is; otherwise OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318) plus `/v1/traces` or `/v1/logs`.
 */
export function otlpTargets(env: Record<string, string | undefined>): OtlpTargets {
  const target = (signal: "traces" | "logs") => {
    const upper = signal.toUpperCase();
    if (env.OTEL_SDK_DISABLED === "true" || env[`OTEL_${upper}_EXPORTER`] === "none") return undefined;
    const specific = env[`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`];
    if (specific) return specific;
    const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || DEFAULT_ENDPOINT;
    return `${base.replace(/\/$/, "")}/v1/${signal}`;
  };
  return { traces: target("traces"), logs: target("logs") };
}

/**
 * Opens (and closes) one TCP connection to the endpoint's host and port: resolves undefined when it
 * connects within `timeoutMs`, else the reason (`ECONNREFUSED`, `timed out after 1000 ms`, …). Sends
 * nothing, so it exports no data and leaves the SDK's own failure counters alone.
 */
export function probeEndpoint(url: string, timeoutMs: number): Promise<string | undefined> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({
      host: hostname.replace(/^\[|\]$/g, ""),
      port: Number(port || (protocol === "https:" ? 443 : 80)),
    });
    const finish = (reason: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => finish(`timed out after ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => finish(undefined));
    socket.once("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

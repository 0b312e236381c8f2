import { SendActivityError, UrlError, validatePublicUrl } from "@fedify/fedify";
import { Counter } from "prom-client";
import type { FederationConfig } from "../config.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import type { Metrics } from "../platform/telemetry/metrics.ts";
import type { CircuitChange, InstanceHealth } from "./instances.ts";
import type { FailureDecision, QueuePolicy, QueueTask } from "./message-queue.ts";
import { DeliveryTimeoutError, describeError } from "./message-queue.ts";

/** Why a delivery attempt failed: a bounded set, used as the `reason` label. */
type FailureReason =
  | "connection_refused"
  | "dns"
  | "timeout"
  | "tls"
  | "network"
  | "server_error"
  | "rate_limited"
  | "signature_rejected"
  | "gone"
  | "rejected"
  | "private_address"
  | "error";

interface Classified {
  reason: FailureReason;
  /** The host is down or overloaded (counts towards its circuit), as opposed to answering with a refusal. */
  hostFault: boolean;
  /** Retrying cannot help. */
  permanent: boolean;
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyFailure(error: unknown): Classified {
  if (error instanceof SendActivityError) {
    const status = error.statusCode;
    if (status === 404 || status === 410) return { reason: "gone", hostFault: false, permanent: true };
    if (status === 401 || status === 403)
      return { reason: "signature_rejected", hostFault: false, permanent: false };
    if (status === 429) return { reason: "rate_limited", hostFault: true, permanent: false };
    if (status >= 500) return { reason: "server_error", hostFault: true, permanent: false };
    return { reason: "rejected", hostFault: false, permanent: true };
  }
  if (error instanceof DeliveryTimeoutError) return { reason: "timeout", hostFault: true, permanent: false };
  if (error instanceof UrlError) return { reason: "private_address", hostFault: false, permanent: true };
  const code = causeCode(error) ?? "";
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") {
    return { reason: "connection_refused", hostFault: true, permanent: false };
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return { reason: "dns", hostFault: true, permanent: false };
  if (/TIMEDOUT|Timeout/i.test(code)) return { reason: "timeout", hostFault: true, permanent: false };
  if (/CERT|SSL|TLS/i.test(code)) return { reason: "tls", hostFault: true, permanent: false };
  const name = (error as { name?: unknown })?.name;
  if (name === "FetchError" || error instanceof TypeError || /ECONN|EPIPE|socket/i.test(code)) {
    return { reason: "network", hostFault: true, permanent: false };
  }
  return { reason: "error", hostFault: false, permanent: false };
}

const RECLAIMED_METRIC = "federation_queue_reclaimed_total";

/** `https://www.w3.org/ns/activitystreams#Create` → `Create`; unknown values collapse to `other`. */
export function shortType(type: unknown): string {
  if (typeof type !== "string") return "other";
  const short = type.slice(Math.max(type.lastIndexOf("#"), type.lastIndexOf("/")) + 1);
  return /^[A-Za-z]{1,32}$/.test(short) ? short : "other";
}

/**
 * The delivery policy around the queue: refuses private targets, records every outbound attempt in
 * the instance's health record and the metrics, and decides retry (exponential back-off with jitter)
 * or dead letter (permanent failure, repeated signature rejection, attempts exhausted).
 */
export function createDeliveryPolicy(options: {
  config: FederationConfig;
  instances: InstanceHealth;
  metrics: Metrics;
  logger: Logger;
}): QueuePolicy {
  const { config, instances, metrics, logger } = options;
  // At-least-once made visible: each reclaimed task may be a duplicate delivery (receivers deduplicate
  // by activity id). Defined here, on the service's one registry, until metrics.ts takes it over.
  const reclaimedTasks =
    (metrics.registry.getSingleMetric(RECLAIMED_METRIC) as Counter | undefined) ??
    new Counter({
      name: RECLAIMED_METRIC,
      help: "Federation tasks claimed again after the worker holding them stopped without finishing (each may be delivered twice)",
      registers: [metrics.registry],
    });
  const q = config.queue;
  const publicHosts = new Map<string, { ok: boolean; until: number }>();

  function backoff(attempts: number): number {
    const exponential = Math.min(q.retryBaseMs * 2 ** Math.max(0, attempts - 1), q.retryMaxMs);
    return Math.round(exponential * (0.8 + Math.random() * 0.4));
  }

  async function isPublic(url: string): Promise<boolean> {
    const host = new URL(url).host;
    const cached = publicHosts.get(host);
    if (cached && cached.until > Date.now()) return cached.ok;
    let ok = true;
    try {
      await validatePublicUrl(url);
    } catch (error) {
      if (!(error instanceof UrlError)) throw error;
      ok = false;
    }
    if (publicHosts.size > 10_000) publicHosts.clear();
    publicHosts.set(host, { ok, until: Date.now() + 60_000 });
    return ok;
  }

  function circuit(host: string, change: CircuitChange): void {
    if (!change) return;
    metrics.federationCircuitTransitions.inc({
      instance: metrics.federationInstanceLabel.value(host),
      state: change,
    });
    logger.warn("Circuit to {host} {change}", { host, change });
  }

  return {
    reclaimed(count: number): void {
      reclaimedTasks.inc(count);
    },

    async before(task: QueueTask): Promise<string | undefined> {
      if (task.kind !== "outbox") return undefined;
      const message = task.message as {
        inbox?: unknown;
        headers?: Record<string, string>;
        traceContext?: Record<string, string>;
      };
      if (typeof message.inbox !== "string") return "malformed";
      if (!config.allowPrivateAddresses && !(await isPublic(message.inbox))) {
        const instance = metrics.federationInstanceLabel.value(task.host ?? "unknown");
        metrics.federationDeliveryFailures.inc({ instance, reason: "private_address" });
        metrics.federationActivities.inc({
          type: shortType((task.message as { activityType?: unknown }).activityType),
          instance,
          status: "abandoned",
        });
        return "private_address";
      }
      // W3C trace context travels with the delivery, so the receiver continues the sender's trace.
      const trace = message.traceContext ?? {};
      if (trace.traceparent) {
        message.headers = {
          ...message.headers,
          traceparent: trace.traceparent,
          ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
        };
      }
      return undefined;
    },

    async after(
      task: QueueTask,
      error: unknown,
      handledByFedify: boolean,
    ): Promise<FailureDecision | undefined> {
      if (task.kind !== "outbox" || !task.host) {
        if (error === undefined || handledByFedify) return undefined;
        if (task.attempts >= q.maxAttempts) return { dead: "max_attempts" };
        logger.warn("Federation {kind} task failed (attempt {attempts}): {error}", {
          kind: task.kind,
          attempts: task.attempts,
          error: describeError(error),
        });
        return { retryInMs: backoff(task.attempts) };
      }
      const host = task.host;
      const instance = metrics.federationInstanceLabel.value(host);
      const type = shortType((task.message as { activityType?: unknown }).activityType);
      if (error === undefined) {
        metrics.federationActivities.inc({ type, instance, status: "delivered" });
        circuit(host, await instances.recordSuccess(host, { probe: task.probe }));
        return undefined;
      }
      const failure = classifyFailure(error);
      metrics.federationActivities.inc({ type, instance, status: "failed" });
      metrics.federationDeliveryFailures.inc({ instance, reason: failure.reason });
      const description = describeError(error);
      // A refusal proves the host is up; an unclassified error says nothing about the host.
      if (failure.hostFault) circuit(host, await instances.recordFailure(host, description));
      else if (failure.reason !== "error") circuit(host, await instances.recordRejection(host, description));
      let decision: FailureDecision;
      if (handledByFedify) {
        // Fedify finished the task itself: a 404/410 (permanent) or a Retry-After it re-enqueued.
        if (failure.permanent) metrics.federationActivities.inc({ type, instance, status: "abandoned" });
        return undefined;
      }
      if (failure.permanent) decision = { dead: failure.reason };
      else if (failure.reason === "signature_rejected" && task.attempts >= 3)
        decision = { dead: "signature_rejected" };
      else if (!task.probe && task.attempts >= q.maxAttempts) decision = { dead: "max_attempts" };
      else decision = { retryInMs: backoff(task.attempts), refundAttempt: task.probe };
      if ("dead" in decision) metrics.federationActivities.inc({ type, instance, status: "abandoned" });
      return decision;
    },
  };
}

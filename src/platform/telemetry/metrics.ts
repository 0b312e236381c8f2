import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
  type RegistryContentType,
} from "prom-client";
import { exportFailures } from "./export-health.ts";

/** Business events the domain reports; the domain never touches prom-client directly. */
export interface DomainMetrics {
  sessionStarted(tenant: string, userType: string): void;
  enrolled(tenant: string, courseType: string): void;
  contentCreated(tenant: string, contentType: string, userRole: string): void;
}

/** Keeps a label's value set bounded: the first `cap` distinct values pass, later ones become `other`. */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  private readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }
  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.cap) return "other";
    this.seen.add(raw);
    return raw;
  }
}

// prom-client's default collectors also export these `_total` gauges, which break `promtool check
// metrics`; the same values are in nodejs_active_handles / nodejs_active_requests / nodejs_active_resources.
const MISNAMED_DEFAULT_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** What the federation module reports on every scrape (queried once per scrape, shared by the gauges). */
export interface FederationSnapshot {
  queueDepth: number;
  oldestDueAgeSeconds: number;
  deadLetters: number;
  connectedByTenant: { tenant: string; connected: number }[];
}

export function createMetrics(options: { maxTenants: number; maxInstances?: number }) {
  // Created as OpenMetrics so histograms may carry exemplars; text scrapes switch the format per render.
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  const registers = [registry];
  const tenantLabel = new BoundedLabel(options.maxTenants);

  const httpRequestDuration = new Histogram<string>({
    name: "http_request_duration_seconds",
    help: "Duration of HTTP requests in seconds",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.001, 0.01, 0.1, 1, 5, 10],
    enableExemplars: true,
    registers,
  });
  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "Total number of HTTP requests",
    labelNames: ["method", "route", "status_code"] as const,
    registers,
  });
  const federationActivities = new Counter({
    name: "federation_activities_total",
    help: "Total number of federated activities processed",
    labelNames: ["type", "instance", "status"] as const,
    registers,
  });
  const federationDeliveryFailures = new Counter({
    name: "federation_delivery_failures_total",
    help: "Total number of failed federation delivery attempts",
    labelNames: ["instance", "reason"] as const,
    registers,
  });
  const federationInstancesConnected = new Gauge({
    name: "federation_instances_connected",
    help: "Number of federated instances connected",
    labelNames: ["tenant"] as const,
    registers,
  });
  const federationCircuitTransitions = new Counter({
    name: "federation_circuit_transitions_total",
    help: "Circuit breaker transitions per remote instance (state: opened or closed)",
    labelNames: ["instance", "state"] as const,
    registers,
  });
  const federationQueueDepth = new Gauge({
    name: "federation_queue_depth",
    help: "Tasks waiting in the durable federation delivery queue (due, backing off or held)",
    registers,
  });
  const federationQueueOldestAge = new Gauge({
    name: "federation_queue_oldest_age_seconds",
    help: "How long the oldest due federation task has waited (0 when none is due)",
    registers,
  });
  const federationDeadLetters = new Gauge({
    name: "federation_queue_dead_letters",
    help: "Federation tasks given up (attempts exhausted or refused), kept for operators",
    registers,
  });
  const federationInstanceLabel = new BoundedLabel(options.maxInstances ?? 50);
  const userSessions = new Counter({
    name: "user_sessions_total",
    help: "Total number of user sessions",
    labelNames: ["tenant", "user_type"] as const,
    registers,
  });
  const courseEnrollments = new Counter({
    name: "course_enrollments_total",
    help: "Total number of course enrollments",
    labelNames: ["tenant", "course_type"] as const,
    registers,
  });
  const contentCreated = new Counter({
    name: "content_created_total",
    help: "Total content created by users",
    labelNames: ["tenant", "content_type", "user_role"] as const,
    registers,
  });

  const exportFailuresCounter = new Counter({
    name: "telemetry_export_failures_total",
    help: "OTLP export batches that failed (Collector unreachable, slow or refusing)",
    labelNames: ["signal"] as const,
    registers,
    collect() {
      for (const signal of ["traces", "logs"] as const) {
        const delta = exportFailures[signal] - (reported[signal] ?? 0);
        if (delta > 0) this.inc({ signal }, delta);
        reported[signal] = exportFailures[signal];
      }
    },
  });
  const reported: Record<string, number> = { traces: 0, logs: 0 };
  for (const signal of ["traces", "logs"]) exportFailuresCounter.inc({ signal }, 0);

  /**
   * Reports the pool from the in-flight statement count kept by the traced client (db/traced-sql.ts's
   * PoolUsage; typed structurally so telemetry does not depend on the database layer).
   */
  function observePool(poolName: string, usage: { readonly max: number; readonly inFlight: number }): void {
    const labels = { pool_name: poolName };
    new Gauge({
      name: "database_connections_active",
      help: "Number of active database connections",
      labelNames: ["pool_name"] as const,
      registers,
      collect() {
        this.set(labels, Math.min(usage.inFlight, usage.max));
      },
    });
    new Gauge({
      name: "database_connections_max",
      help: "Maximum number of database connections in the pool",
      labelNames: ["pool_name"] as const,
      registers,
      collect() {
        this.set(labels, usage.max);
      },
    });
    new Gauge({
      name: "database_connections_waiting",
      help: "Number of queries waiting for a free database connection",
      labelNames: ["pool_name"] as const,
      registers,
      collect() {
        this.set(labels, Math.max(0, usage.inFlight - usage.max));
      },
    });
  }

  /**
   * Feeds the federation gauges from one snapshot per scrape: queue depth and age, dead letters and
   * the instances each tenant reaches. A failing source leaves the previous values in place.
   */
  function observeFederation(source: () => Promise<FederationSnapshot>): void {
    // prom-client calls a metric's `collect` (set from its options) on every scrape.
    const withCollect = (gauge: Gauge<string>, collect: () => Promise<void>) => {
      (gauge as unknown as { collect: () => Promise<void> }).collect = collect;
    };
    let pending: Promise<FederationSnapshot | undefined> | undefined;
    const snapshot = () => {
      pending ??= source()
        .catch(() => undefined)
        .finally(() => {
          setTimeout(() => {
            pending = undefined;
          }, 250);
        });
      return pending;
    };
    withCollect(federationInstancesConnected, async () => {
      const s = await snapshot();
      if (!s) return;
      federationInstancesConnected.reset();
      for (const { tenant, connected } of s.connectedByTenant) {
        federationInstancesConnected.set({ tenant: tenantLabel.value(tenant) }, connected);
      }
    });
    withCollect(federationQueueDepth, async () => {
      const s = await snapshot();
      if (s) federationQueueDepth.set(s.queueDepth);
    });
    withCollect(federationQueueOldestAge, async () => {
      const s = await snapshot();
      if (s) federationQueueOldestAge.set(s.oldestDueAgeSeconds);
    });
    withCollect(federationDeadLetters, async () => {
      const s = await snapshot();
      if (s) federationDeadLetters.set(s.deadLetters);
    });
  }

  const domain: DomainMetrics = {
    sessionStarted: (tenant, userType) =>
      userSessions.inc({ tenant: tenantLabel.value(tenant), user_type: userType }),
    enrolled: (tenant, courseType) =>
      courseEnrollments.inc({ tenant: tenantLabel.value(tenant), course_type: courseType }),
    contentCreated: (tenant, contentType, userRole) =>
      contentCreated.inc({
        tenant: tenantLabel.value(tenant),
        content_type: contentType,
        user_role: userRole,
      }),
  };

  // Rendering switches the registry's format and prom-client renames counters in place while rendering
  // OpenMetrics (it strips `_total`), so renders run one at a time and restore the names afterwards.
  let previousRender: Promise<unknown> = Promise.resolve();
  async function renderOnce(openMetrics: boolean): Promise<string> {
    const counters = registry.getMetricsAsArray().filter((m) => String(m.type) === "counter") as unknown as {
      name: string;
    }[];
    const names = counters.map((m) => m.name);
    registry.setContentType(
      openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
    );
    try {
      return await registry.metrics();
    } finally {
      counters.forEach((m, i) => {
        m.name = names[i] as string;
      });
    }
  }
  function render(openMetrics: boolean): Promise<string> {
    const result = previousRender.then(() => renderOnce(openMetrics));
    previousRender = result.catch(() => {});
    return result;
  }

  return {
    registry,
    render,
    contentType: (openMetrics: boolean) =>
      openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
    httpRequestDuration,
    httpRequests,
    federationActivities,
    federationDeliveryFailures,
    federationInstancesConnected,
    federationCircuitTransitions,
    federationInstanceLabel,
    observeFederation,
    tenantLabel,
    observePool,
    domain,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

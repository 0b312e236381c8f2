/**
 * The real programs of the pipeline, at the versions the repository pins: our Collector distribution
 * (agent and gateways), Jaeger v2 and Prometheus 3 (built by the scripts in scripts/, cached outside
 * the repository), and a real Elasticsearch node of the release .env pins, assembled from Maven Central
 * jars. Each starts on free loopback ports in a temporary directory and resolves once it answers.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { pinned, tool } from "../../support/tools.ts";
import { freePorts, type Program, run, startProgram, waitForHttp } from "./processes.ts";

export const root = join(import.meta.dirname, "..", "..", "..");
export const COLLECTOR_CONFIG = join(root, "otel-collector", "config.yaml");
export const AGENT_CONFIG = join(root, "otel-collector", "agent.yaml");
const BUILD_TIMEOUT_MS = 45 * 60_000;
const cacheDir = () =>
  process.env.FEDIFLOW_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "fediflow");

/** Builds (or reuses) otelcol-fediflow; resolves with the binary's path. */
export async function collectorBinary(): Promise<string> {
  const out = await run("bash", [join(root, "scripts", "collector-build.sh")], {
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  return out.trim();
}

/** Builds (or reuses) Jaeger v2 at JAEGER_MODULE_VERSION; resolves with the binary's path. */
export async function jaegerBinary(): Promise<string> {
  return tool("jaeger");
}

/** The Elasticsearch release compose ships (ELASTICSEARCH_IMAGE in .env), which this node runs. */
export const ELASTICSEARCH_VERSION = pinned("ELASTICSEARCH_IMAGE").split(":").at(-1) as string;

const ES_DIR = join(root, "test", "pipeline", "elasticsearch");

/** Resolves the Elasticsearch node's classpath with Maven (cached by the pom's hash and the version). */
export async function elasticsearchClasspath(): Promise<string> {
  const pom = join(ES_DIR, "pom.xml");
  const hash = createHash("sha256")
    .update(readFileSync(pom))
    .update(ELASTICSEARCH_VERSION)
    .digest("hex")
    .slice(0, 16);
  const file = join(cacheDir(), `elasticsearch-classpath-${hash}.txt`);
  if (!existsSync(file)) {
    await mkdir(cacheDir(), { recursive: true });
    const partial = `${file}.${process.pid}`;
    await run(
      "mvn",
      [
        "-B",
        "-q",
        "-f",
        pom,
        "dependency:build-classpath",
        `-Delasticsearch.version=${ELASTICSEARCH_VERSION}`,
        `-Dmdep.outputFile=${partial}`,
      ],
      { timeoutMs: 10 * 60_000 },
    );
    await rename(partial, file);
  }
  return readFileSync(file, "utf8").trim();
}

const JAVA_17 = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";

export interface Backend {
  program: Program;
  url: string;
}

/** A single-node Elasticsearch (ELASTICSEARCH_VERSION) on 127.0.0.1:`port`, heap capped at 512 MiB. */
export async function startElasticsearch(dir: string, classpath: string): Promise<Backend> {
  const [port] = (await freePorts(1)) as [number];
  const home = join(dir, "elasticsearch");
  await mkdir(home, { recursive: true });
  const java = process.env.JAVA_HOME
    ? join(process.env.JAVA_HOME, "bin", "java")
    : existsSync(JAVA_17)
      ? JAVA_17
      : "java";
  const program = startProgram(
    "elasticsearch",
    java,
    [
      "-Xms256m",
      "-Xmx512m",
      "-XX:+UseSerialGC",
      "-Dlog4j2.disable.jmx=true",
      "-cp",
      classpath,
      join(ES_DIR, "EmbeddedElasticsearch.java"),
      home,
      String(port),
    ],
    { stdin: "pipe" },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, program, 120_000);
  return { program, url };
}

/**
 * Prometheus at the release .env pins, configured like prometheus/prometheus.compose.yml: it scrapes
 * the service instances itself (OpenMetrics first, exemplar storage on) and every Collector's own
 * metrics, and accepts remote write (the gateways forward OTLP-pushed metrics there).
 */
export async function startPrometheus(
  dir: string,
  port: number,
  targets: { services: string[]; collectors: string[] },
): Promise<Backend> {
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    stringify({
      global: { scrape_interval: "2s", evaluation_interval: "15s" },
      scrape_configs: [
        {
          job_name: "fediflow-api",
          scrape_protocols: ["OpenMetricsText1.0.0", "PrometheusText0.0.4"],
          static_configs: [{ targets: targets.services }],
        },
        { job_name: "otel-collector", static_configs: [{ targets: targets.collectors }] },
      ],
    }),
  );
  const program = startProgram("prometheus", tool("prometheus"), [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "prometheus-data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-remote-write-receiver",
    "--enable-feature=exemplar-storage",
    "--storage.tsdb.retention.time=2h",
    "--log.level=warn",
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, program);
  return { program, url };
}

export interface Jaeger {
  otlpGrpc: string;
  queryUrl: string;
  start(): Promise<Program>;
  program: Program | undefined;
}

/** Jaeger v2 with in-memory storage; `start()` may be called again (same ports) after a stop. */
export async function prepareJaeger(dir: string, binary: string): Promise<Jaeger> {
  const [otlp, query, queryGrpc, health, metrics] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const config = join(dir, "jaeger.yaml");
  await writeFile(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    logs:
      level: warn
    metrics:
      level: basic
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${metrics}
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${health}
  jaeger_query:
    enable_tracing: false
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`,
  );
  const jaeger: Jaeger = {
    otlpGrpc: `127.0.0.1:${otlp}`,
    queryUrl: `http://127.0.0.1:${query}`,
    program: undefined,
    async start() {
      const program = startProgram("jaeger", binary, ["--config", config]);
      jaeger.program = program;
      await waitForHttp(`http://127.0.0.1:${health}/status`, program);
      await waitForHttp(`${jaeger.queryUrl}/api/services`, program);
      return program;
    },
  };
  await jaeger.start();
  return jaeger;
}

export interface Collector extends Backend {
  name: string;
  otlpHttp: string;
  otlpGrpc: string;
  telemetryUrl: string;
  /** host:port of its own metrics, as Prometheus scrapes it. */
  telemetryTarget: string;
  env: Record<string, string>;
}

/** The listening ports every Collector config reads from its environment. */
export async function listenEnv(): Promise<Record<string, string>> {
  const [grpc, http, health, pprof, zpages, telemetry] = (await freePorts(6)) as number[];
  return {
    OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
    OTELCOL_PPROF_ENDPOINT: `127.0.0.1:${pprof}`,
    OTELCOL_ZPAGES_ENDPOINT: `127.0.0.1:${zpages}`,
    OTELCOL_TELEMETRY_HOST: "127.0.0.1",
    OTELCOL_TELEMETRY_PORT: String(telemetry),
  };
}

/** A gateway's environment (otel-collector/config.yaml): its ports and the backends' addresses. */
export async function gatewayEnv(targets: {
  jaegerOtlp: string;
  elasticsearch: string;
  prometheus: string;
}): Promise<Record<string, string>> {
  return {
    ...(await listenEnv()),
    JAEGER_OTLP_ENDPOINT: targets.jaegerOtlp,
    ELASTICSEARCH_ENDPOINT: targets.elasticsearch,
    PROMETHEUS_REMOTE_WRITE_ENDPOINT: `${targets.prometheus}/api/v1/write`,
    // Test-speed knobs (production keeps the defaults): decide traces 2 s after their first span,
    // flush log bulk requests every second.
    OTELCOL_TAIL_DECISION_WAIT: "2s",
    OTELCOL_FLUSH_INTERVAL: "1s",
  };
}

/** Starts one Collector with the given config files (merged in order, as `--config` does). */
export async function startCollector(
  name: string,
  binary: string,
  configs: string[],
  env: Record<string, string>,
): Promise<Collector> {
  const program = startProgram(
    name,
    binary,
    configs.flatMap((c) => ["--config", c]),
    { env },
  );
  await waitForHttp(`http://${env.OTELCOL_HEALTH_ENDPOINT}/`, program);
  return {
    name,
    program,
    url: `http://${env.OTELCOL_HEALTH_ENDPOINT}`,
    otlpHttp: `http://${env.OTELCOL_OTLP_HTTP_ENDPOINT}`,
    otlpGrpc: env.OTELCOL_OTLP_GRPC_ENDPOINT as string,
    telemetryUrl: `http://127.0.0.1:${env.OTELCOL_TELEMETRY_PORT}/metrics`,
    telemetryTarget: `127.0.0.1:${env.OTELCOL_TELEMETRY_PORT}`,
    env,
  };
}

/**
 * The agent, with the repository's agent.yaml and one change: its loadbalancing exporter resolves the
 * gateways from a static list (the test's loopback gateways) instead of the DNS name of their headless
 * Service, which only exists in a cluster. Routing, queues and retries are agent.yaml's own.
 */
export async function startAgent(
  dir: string,
  binary: string,
  gateways: Collector[],
  listen: Record<string, string>,
): Promise<Collector> {
  const overlay = join(dir, "agent-static-gateways.yaml");
  await writeFile(
    overlay,
    stringify({
      exporters: {
        load_balancing: {
          resolver: { dns: null, static: { hostnames: gateways.map((g) => g.otlpGrpc) } },
        },
      },
    }),
  );
  const env = {
    ...listen,
    OTELCOL_GATEWAY_ENDPOINT: (gateways[0] as Collector).otlpGrpc,
    K8S_NODE_NAME: "pipeline-test",
  };
  return startCollector("otelcol-agent", binary, [AGENT_CONFIG, overlay], env);
}

/**
 * The real programs of the pipeline: our Collector distribution and Jaeger v2 (built by the scripts in
 * scripts/, cached outside the repository), Debian's Prometheus with the remote-write receiver and
 * exemplar storage, and a real Elasticsearch 7.17 node assembled from Maven Central jars. Each starts
 * on free loopback ports in a temporary directory and resolves once it answers.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { freePorts, type Program, run, startProgram, waitForHttp } from "./processes.ts";

export const root = join(import.meta.dirname, "..", "..", "..");
export const COLLECTOR_CONFIG = join(root, "otel-collector", "config.yaml");
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

/** Builds (or reuses) Jaeger v2; resolves with the binary's path. */
export async function jaegerBinary(): Promise<string> {
  const out = await run("bash", [join(root, "scripts", "jaeger-build.sh")], { timeoutMs: BUILD_TIMEOUT_MS });
  return out.trim();
}

const ES_DIR = join(root, "test", "pipeline", "elasticsearch");

/** Resolves the Elasticsearch node's classpath with Maven (cached by the pom's hash). */
export async function elasticsearchClasspath(): Promise<string> {
  const pom = join(ES_DIR, "pom.xml");
  const hash = createHash("sha256").update(readFileSync(pom)).digest("hex").slice(0, 16);
  const file = join(cacheDir(), `elasticsearch-classpath-${hash}.txt`);
  if (!existsSync(file)) {
    await mkdir(cacheDir(), { recursive: true });
    const partial = `${file}.${process.pid}`;
    await run("mvn", ["-B", "-q", "-f", pom, "dependency:build-classpath", `-Dmdep.outputFile=${partial}`], {
      timeoutMs: 10 * 60_000,
    });
    await rename(partial, file);
  }
  return readFileSync(file, "utf8").trim();
}

const JAVA_17 = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";

export interface Backend {
  program: Program;
  url: string;
}

/** A single-node Elasticsearch 7.17 on 127.0.0.1:`port`, heap capped at 512 MiB. */
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

/** Debian's Prometheus (2.42 here) accepting remote write, storing exemplars, scraping nothing itself. */
export async function startPrometheus(dir: string): Promise<Backend> {
  const [port] = (await freePorts(1)) as [number];
  const config = join(dir, "prometheus.yml");
  await writeFile(config, "global:\n  evaluation_interval: 15s\n");
  const program = startProgram("prometheus", process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus", [
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
  otlpHttp: string;
  telemetryUrl: string;
  env: Record<string, string>;
}

/** The ports and addresses the Collector's config.yaml reads from its environment. */
export async function collectorEnv(targets: {
  metricsTarget: string;
  jaegerOtlp: string;
  elasticsearch: string;
  prometheus: string;
}): Promise<Record<string, string>> {
  const [grpc, http, health, pprof, zpages, telemetry] = (await freePorts(6)) as number[];
  return {
    OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
    OTELCOL_PPROF_ENDPOINT: `127.0.0.1:${pprof}`,
    OTELCOL_ZPAGES_ENDPOINT: `127.0.0.1:${zpages}`,
    OTELCOL_TELEMETRY_HOST: "127.0.0.1",
    OTELCOL_TELEMETRY_PORT: String(telemetry),
    FEDIFLOW_METRICS_TARGET: targets.metricsTarget,
    JAEGER_OTLP_ENDPOINT: targets.jaegerOtlp,
    ELASTICSEARCH_ENDPOINT: targets.elasticsearch,
    PROMETHEUS_REMOTE_WRITE_ENDPOINT: `${targets.prometheus}/api/v1/write`,
    // Test-speed knobs (production keeps the defaults): decide traces 2 s after their first span,
    // scrape every 2 s, flush log bulk requests every second.
    OTELCOL_TAIL_DECISION_WAIT: "2s",
    OTELCOL_SCRAPE_INTERVAL: "2s",
    OTELCOL_FLUSH_INTERVAL: "1s",
  };
}

/** Our Collector with the repository's real config.yaml. */
export async function startCollector(binary: string, env: Record<string, string>): Promise<Collector> {
  const program = startProgram("otelcol-fediflow", binary, ["--config", COLLECTOR_CONFIG], { env });
  await waitForHttp(`http://${env.OTELCOL_HEALTH_ENDPOINT}/`, program);
  return {
    program,
    url: `http://${env.OTELCOL_HEALTH_ENDPOINT}`,
    otlpHttp: `http://${env.OTELCOL_OTLP_HTTP_ENDPOINT}`,
    telemetryUrl: `http://127.0.0.1:${env.OTELCOL_TELEMETRY_PORT}/metrics`,
    env,
  };
}

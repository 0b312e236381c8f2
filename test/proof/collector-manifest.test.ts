/**
 * The Collector's manifest and configs, checked without building: the manifest pins one release line
 * and holds exactly the components the configs use (so the image built from it, or a contrib image
 * with the same components, runs them); every pipeline starts with memory_limiter; every exporter
 * has a bounded queue and bounded retries; every address comes from the environment; tail sampling
 * keeps errors and slow traces. The real binary checks the same configs in test/pipeline/.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** Module (last path element) → the component type it registers (`components` prints the same). */
const TYPES: Record<string, string> = {
  otlpreceiver: "otlp",
  memorylimiterprocessor: "memory_limiter",
  batchprocessor: "batch",
  resourceprocessor: "resource",
  redactionprocessor: "redaction",
  transformprocessor: "transform",
  tailsamplingprocessor: "tail_sampling",
  otlpexporter: "otlp_grpc",
  debugexporter: "debug",
  elasticsearchexporter: "elasticsearch",
  prometheusremotewriteexporter: "prometheus_remote_write",
  loadbalancingexporter: "load_balancing",
  healthcheckextension: "health_check",
  pprofextension: "pprof",
  zpagesextension: "zpages",
};
const KINDS = ["receivers", "processors", "exporters", "extensions"] as const;
type Kind = (typeof KINDS)[number];

interface Manifest extends Record<Kind | "providers", { gomod: string }[]> {
  dist: { name: string; version: string };
}
// biome-ignore lint/suspicious/noExplicitAny: collector configs are read loosely
type Config = Record<string, any>;

const manifest = parse(read("otel-collector/builder-config.yaml")) as Manifest;
const configs: Record<string, Config> = {
  "config.yaml": parse(read("otel-collector/config.yaml")),
  "agent.yaml": parse(read("otel-collector/agent.yaml")),
};
const typeOf = (id: string) => id.split("/")[0] as string;

describe("otel-collector/builder-config.yaml", () => {
  test("one release line: every component at the same core/contrib version, providers at its stable twin", () => {
    const versions = new Set(KINDS.flatMap((kind) => manifest[kind].map((m) => m.gomod.split(" ")[1])));
    assert.equal(versions.size, 1, `component versions: ${[...versions]}`);
    const version = [...versions][0] ?? "";
    assert.match(version, /^v0\.\d+\.\d+$/);
    const stable = new Set(manifest.providers.map((m) => m.gomod.split(" ")[1]));
    assert.equal(stable.size, 1);
    assert.equal(manifest.dist.version, `${version.slice(1)}-fediflow`);
    assert.match(
      read("scripts/collector-build.sh"),
      /otlpreceiver/,
      "the build script derives the builder version",
    );
  });

  test("exactly the components the configs use", () => {
    for (const kind of KINDS) {
      const built = manifest[kind].map((m) => {
        const module = m.gomod.split(" ")[0]?.split("/").pop() as string;
        assert.ok(TYPES[module], `unknown module ${module}: add its component type to TYPES`);
        return TYPES[module] as string;
      });
      const used = new Set(Object.values(configs).flatMap((c) => Object.keys(c[kind] ?? {}).map(typeOf)));
      assert.deepEqual(
        [...built].sort(),
        [...used].sort(),
        `${kind}: in the manifest vs used by the configs`,
      );
    }
  });
});

describe("otel-collector configs", () => {
  for (const [name, config] of Object.entries(configs)) {
    test(`${name}: memory_limiter first, batch last, in every pipeline; every declared component is used`, () => {
      const pipelines = Object.entries(config.service.pipelines as Record<string, Config>);
      for (const [pipeline, spec] of pipelines) {
        assert.equal(spec.processors[0], "memory_limiter", `${pipeline}: memory_limiter first`);
        assert.equal(spec.processors.at(-1), "batch", `${pipeline}: batch last`);
      }
      for (const kind of ["receivers", "processors", "exporters"] as const) {
        const used = new Set(pipelines.flatMap(([, spec]) => spec[kind] as string[]));
        for (const id of Object.keys(config[kind] ?? {}))
          assert.ok(used.has(id), `${kind}: ${id} is in a pipeline`);
      }
      for (const id of Object.keys(config.extensions ?? {}))
        assert.ok(config.service.extensions.includes(id), id);
    });

    test(`${name}: every exporter has a bounded queue and bounded retries`, () => {
      for (const [id, configured] of Object.entries(config.exporters as Record<string, Config>)) {
        // The loadbalancing exporter's queue and retries are those of the OTLP exporter it creates
        // per gateway (its `protocol.otlp` template).
        const exporter = typeOf(id) === "load_balancing" ? configured.protocol.otlp : configured;
        const queue = exporter.sending_queue ?? exporter.remote_write_queue;
        assert.ok(queue?.enabled !== false && Number(queue?.queue_size) > 0, `${id}: bounded queue`);
        if (typeOf(id) === "debug") continue; // writes to stderr: nothing to retry
        const retry = exporter.retry_on_failure ?? exporter.retry;
        assert.ok(retry?.enabled, `${id}: retries on`);
        assert.ok(retry.max_elapsed_time || retry.max_retries, `${id}: retries bounded`);
      }
    });

    test(`${name}: every address comes from the environment`, () => {
      const addresses: [string, string][] = [];
      const walk = (node: unknown, key = "") => {
        if (Array.isArray(node)) for (const item of node) walk(item, key);
        else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, k);
        else if (["endpoint", "endpoints", "targets", "host", "hostname", "port"].includes(key))
          addresses.push([key, String(node)]);
      };
      walk(config);
      assert.ok(addresses.length >= 3);
      for (const [key, address] of addresses) {
        if (key === "port" && /^\d+$/.test(address)) continue; // the gateways' fixed OTLP port
        assert.match(address, /\$\{env:[A-Z0-9_]+(:-[^}]*)?\}/, address);
      }
    });
  }

  test("config.yaml: tail sampling keeps errors, slow traces and a share of the rest; logs go to fediflow-logs-*", () => {
    const config = configs["config.yaml"] as Config;
    const policies = config.processors.tail_sampling.policies as Config[];
    assert.ok(policies.some((p) => p.type === "status_code" && p.status_code.status_codes.includes("ERROR")));
    assert.ok(policies.some((p) => p.type === "latency"));
    assert.ok(policies.some((p) => p.type === "probabilistic"));
    const es = config.exporters.elasticsearch;
    assert.equal(es.logs_index, "fediflow-logs");
    assert.equal(es.logstash_format.enabled, true);
    assert.deepEqual(es.mapping.allowed_modes, ["bodymap"]);
    assert.ok(config.service.pipelines.logs.processors.includes("transform/log-document"));
    assert.ok(
      config.service.pipelines.traces.processors.indexOf("redaction") <
        config.service.pipelines.traces.processors.indexOf("tail_sampling"),
    );
    // One path per series: Prometheus scrapes the service and the Collectors; the gateway scrapes
    // nothing (with N replicas, each would scrape every pod) and remote-writes OTLP metrics only.
    assert.deepEqual(Object.keys(config.receivers), ["otlp"]);
    assert.deepEqual(config.service.pipelines.metrics.receivers, ["otlp"]);
  });

  test("agent.yaml: traces and logs reach the gateways through the loadbalancing exporter, by trace id", () => {
    const config = configs["agent.yaml"] as Config;
    const lb = config.exporters.load_balancing;
    assert.equal(lb.routing_key, "traceID");
    assert.deepEqual(Object.keys(lb.resolver), ["dns"], "the gateways' headless Service, resolved by DNS");
    assert.match(lb.resolver.dns.hostname, /OTELCOL_GATEWAY_HOSTNAME:-otel-gateway-headless\}/);
    assert.equal(lb.protocol.otlp.tls.insecure, true);
    assert.deepEqual(config.service.pipelines.traces.exporters, ["load_balancing"]);
    assert.deepEqual(config.service.pipelines.logs.exporters, ["load_balancing"]);
    // Tail sampling happens on the gateways only, where whole traces meet.
    for (const pipeline of Object.values(config.service.pipelines as Record<string, Config>))
      assert.ok(!pipeline.processors.includes("tail_sampling"));
  });
});

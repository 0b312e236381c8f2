/**
 * The Collector's configuration, checked by the real binary: `otelcol-fediflow validate` on every
 * variant (compose defaults, the pipeline test's loopback ports, the Kubernetes gateway and agent),
 * and `otelcol-fediflow components` against what the configs use: the distribution holds exactly the
 * components the configs need, no more.
 *
 * Run with `npm run test:pipeline` (not part of `npm test`); builds the Collector on first use.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import { AGENT_CONFIG, COLLECTOR_CONFIG, collectorBinary, gatewayEnv, root } from "./support/backends.ts";
import { run } from "./support/processes.ts";

const KINDS = ["receivers", "processors", "exporters", "extensions"] as const;

let binary: string;

/** The component types (`otlp_grpc/jaeger` → `otlp_grpc`) a config file declares, per kind. */
function typesUsed(file: string): Record<(typeof KINDS)[number], Set<string>> {
  const config = parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown> | undefined>;
  return Object.fromEntries(
    KINDS.map((kind) => [
      kind,
      new Set(Object.keys(config[kind] ?? {}).map((id) => id.split("/")[0] as string)),
    ]),
  ) as Record<(typeof KINDS)[number], Set<string>>;
}

async function validate(file: string, env: Record<string, string>): Promise<void> {
  // A clean environment: only what the variant sets (plus PATH/HOME), so defaults are what is checked.
  await run(binary, ["validate", "--config", file], {
    timeoutMs: 60_000,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
  }).catch((error: Error) => {
    throw new Error(`${file} with ${JSON.stringify(env)}:\n${error.message}`);
  });
}

before(
  async () => {
    binary = await collectorBinary();
  },
  { timeout: 50 * 60_000 },
);

describe("otelcol-fediflow", {
  timeout: 5 * 60_000,
}, () => {
  test("validate: config.yaml with compose's defaults (no environment)", async () => {
    await validate(COLLECTOR_CONFIG, {});
  });

  test("validate: config.yaml with the pipeline test's loopback ports", async () => {
    const env = await gatewayEnv({
      jaegerOtlp: "127.0.0.1:4317",
      elasticsearch: "http://127.0.0.1:9200",
      prometheus: "http://127.0.0.1:9090",
    });
    await validate(COLLECTOR_CONFIG, env);
  });

  test("validate: config.yaml as the Kubernetes gateway runs it", async () => {
    await validate(COLLECTOR_CONFIG, {
      JAEGER_OTLP_ENDPOINT: "jaeger-collector.observability.svc.cluster.local:4317",
      ELASTICSEARCH_ENDPOINT: "http://elasticsearch.logging.svc.cluster.local:9200",
      PROMETHEUS_REMOTE_WRITE_ENDPOINT: "http://prometheus.monitoring.svc.cluster.local:9090/api/v1/write",
      OTELCOL_MEMORY_LIMIT_MIB: "800",
      OTELCOL_MEMORY_SPIKE_MIB: "200",
      DEPLOYMENT_ENVIRONMENT: "production",
    });
  });

  test("validate: agent.yaml as the Kubernetes DaemonSet runs it", async () => {
    await validate(AGENT_CONFIG, {
      OTELCOL_GATEWAY_HOSTNAME: "otel-gateway-headless.fediflow.svc.cluster.local",
      OTELCOL_GATEWAY_ENDPOINT: "otel-gateway.fediflow.svc.cluster.local:4317",
      K8S_NODE_NAME: "node-1",
    });
  });

  test("validate fails on a config that names an unknown component (the check is real)", async () => {
    const broken = join(root, "otel-collector", "config.yaml");
    await assert.rejects(
      run(binary, ["validate", "--config", broken, "--set", "exporters::kafka::brokers=x"], {
        timeoutMs: 60_000,
      }),
    );
  });

  test("components: the distribution has exactly what config.yaml and agent.yaml use", async () => {
    const listed = parse(await run(binary, ["components"], { timeoutMs: 60_000 })) as Record<
      string,
      { name: string }[] | undefined
    >;
    const used = [typesUsed(COLLECTOR_CONFIG), typesUsed(AGENT_CONFIG)];
    for (const kind of KINDS) {
      const built = new Set((listed[kind] ?? []).map((c) => c.name));
      const needed = new Set(used.flatMap((u) => [...u[kind]]));
      assert.deepEqual([...built].sort(), [...needed].sort(), `${kind}: built vs used`);
    }
  });
});

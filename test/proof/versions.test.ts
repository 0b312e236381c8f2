/**
 * The stack we ship is the stack we test: every program the tests run reports exactly the version the
 * repository pins in its one place (.env for what compose runs, the Collector manifest, package.json),
 * so compose, the build scripts and the tests cannot drift apart.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { collectorBinary } from "../pipeline/support/backends.ts";
import { pinned, ROOT, type Tool, tool } from "../support/tools.ts";

const tag = (key: string) => pinned(key).split(":").at(-1) as string;
const versionOf = (name: Tool, args = ["--version"]) =>
  execFileSync(tool(name), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("built programs report the versions .env pins", () => {
  test("Prometheus and promtool: PROMETHEUS_IMAGE", () => {
    const release = tag("PROMETHEUS_IMAGE").replace(/^v/, "");
    assert.match(versionOf("prometheus"), new RegExp(`^prometheus, version ${release} `));
    assert.match(versionOf("promtool"), new RegExp(`^promtool, version ${release} `));
  });

  test("Alertmanager and amtool: ALERTMANAGER_IMAGE", () => {
    const release = tag("ALERTMANAGER_IMAGE").replace(/^v/, "");
    assert.match(versionOf("alertmanager"), new RegExp(`^alertmanager, version ${release} `));
    assert.match(versionOf("amtool"), new RegExp(`^amtool, version ${release} `));
  });

  test("Sloth: SLOTH_VERSION", () => {
    assert.equal(versionOf("sloth", ["version"]).trim(), pinned("SLOTH_VERSION"));
  });

  test("Jaeger: the Go module version is the image's release (v2.N.P is published as v1.(63+N).P)", () => {
    const [major, minor, patch] = tag("JAEGER_IMAGE").split(".").map(Number) as [number, number, number];
    assert.equal(major, 2);
    assert.equal(pinned("JAEGER_MODULE_VERSION"), `v1.${63 + minor}.${patch}`);
    assert.match(tool("jaeger"), new RegExp(`/jaeger-${pinned("JAEGER_MODULE_VERSION")}/jaeger$`));
  });

  test("the Collector: the manifest's release, also the Kubernetes image tag", async () => {
    const manifest = parse(readFileSync(join(ROOT, "otel-collector", "builder-config.yaml"), "utf8")) as {
      dist: { version: string };
    };
    const out = execFileSync(await collectorBinary(), ["--version"], { encoding: "utf8" });
    assert.match(out, new RegExp(`version ${manifest.dist.version.replaceAll(".", "\\.")}\\b`));
    const kustomization = parse(
      readFileSync(join(ROOT, "deploy", "kubernetes", "kustomization.yaml"), "utf8"),
    ) as {
      images: { name: string; newTag: string }[];
    };
    assert.equal(
      kustomization.images.find((i) => i.name === "otelcol-fediflow")?.newTag,
      manifest.dist.version,
    );
  });

  test("Elasticsearch and Kibana: one release; the pipeline's node is read from .env (no pin in the pom)", () => {
    assert.equal(tag("KIBANA_IMAGE"), tag("ELASTICSEARCH_IMAGE"));
    const pom = readFileSync(join(ROOT, "test", "pipeline", "elasticsearch", "pom.xml"), "utf8");
    assert.doesNotMatch(pom, /<elasticsearch\.version>/, "the pom takes -Delasticsearch.version from .env");
  });

  test("Grafana's foundation SDK: pinned exactly, and that is what is installed", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
    const pin = pkg.devDependencies["@grafana/grafana-foundation-sdk"];
    assert.match(pin, /^\d+\.\d+\.\d+$/, "an exact version");
    assert.equal(lock.packages["node_modules/@grafana/grafana-foundation-sdk"].version, pin);
  });
});

/**
 * Where the CPU time went, from V8 CPU profiles (`--cpu-prof`, written by `BENCH_CPU_PROF=<dir> npm run
 * bench`): self time summed by package (node_modules/<name>), by FediFlow module (src/…), for Node's own
 * code (node:…) and V8's pseudo-nodes (GC, program); the same with Node's and native code charged to the
 * nearest package or module up the stack (who caused the socket writes, the hashing, the JSON); then the
 * functions with the most self time.
 *
 *   node bench/profile-summary.ts <file.cpuprofile | directory> [--top 25]
 *
 * Idle time and start-up (module loading and compilation, type stripping) are left out of the shares:
 * they are shares of the time the process was busy serving.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The bucket a frame's self time is charged to: a package, a FediFlow module, Node, or V8. */
function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules !== -1) {
    const rest = url.slice(modules + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return "node: (runtime)";
  // The service runs from src/ (Bun, Deno, tests) or compiled to dist/ (npm start): one name for both.
  const own = /\/(?:src|dist)\/(.*)\.[jt]s$/.exec(url);
  if (own) return `src/${own[1]}.ts`;
  const bench = url.indexOf("/bench/");
  return bench !== -1 ? url.slice(bench + 1) : url;
}

async function profileFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith(".cpuprofile"));
  return names.map((n) => join(path, n));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { top: { type: "string", default: "25" } },
    allowPositionals: true,
  });
  const top = Number(values.top);
  for (const path of positionals) {
    const byBucket = new Map<string, number>();
    const byCaller = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let busy = 0;
    let total = 0;
    let startup = 0;
    const files = await profileFiles(path);
    for (const file of files) {
      const profile = JSON.parse(await readFile(file, "utf8")) as Profile;
      const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
      const parents = new Map<number, number>();
      for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
      const runtime = new Set(["node: (runtime)", "(native)"]);
      const startupCache = new Map<number, boolean>();
      const isStartup = (id: number): boolean => {
        const cached = startupCache.get(id);
        if (cached !== undefined) return cached;
        const url = (nodes.get(id) as ProfileNode).callFrame.url;
        const parent = parents.get(id);
        const result =
          url.startsWith("node:internal/modules/") ||
          url.includes("amaro") ||
          (parent !== undefined && isStartup(parent));
        startupCache.set(id, result);
        return result;
      };
      const callerCache = new Map<number, string>();
      const callerOf = (id: number): string => {
        const cached = callerCache.get(id);
        if (cached) return cached;
        let current: number | undefined = id;
        let bucket = "(native)";
        while (current !== undefined) {
          const frame = (nodes.get(current) as ProfileNode).callFrame;
          bucket = bucketOf(frame.url, frame.functionName);
          if (!runtime.has(bucket)) break;
          current = parents.get(current);
        }
        callerCache.set(id, bucket);
        return bucket;
      };
      // Self time of a node = the time deltas of the samples taken in it.
      profile.samples.forEach((id, i) => {
        const node = nodes.get(id);
        const micros = profile.timeDeltas[i] ?? 0;
        total += micros;
        if (!node || node.callFrame.functionName === "(idle)") return;
        if (isStartup(id)) {
          startup += micros;
          return;
        }
        busy += micros;
        const { url, functionName, lineNumber } = node.callFrame;
        const bucket = bucketOf(url, functionName);
        byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + micros);
        const caller = runtime.has(bucket) ? callerOf(id) : bucket;
        byCaller.set(caller, (byCaller.get(caller) ?? 0) + micros);
        const fn = `${functionName || "(anonymous)"} ${url ? `${bucket}:${lineNumber + 1}` : ""}`.trim();
        byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
      });
    }
    const share = (micros: number) => `${((micros / busy) * 100).toFixed(1)} %`;
    const ms = (micros: number) => Math.round(micros / 1000);
    const table = (title: string, entries: Map<string, number>) => [
      `| ${title} | ms | share of busy |`,
      "| --- | ---: | ---: |",
      ...[...entries]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, micros]) => `| ${name.replaceAll("|", "\\|")} | ${ms(micros)} | ${share(micros)} |`),
      "",
    ];
    const lines = [
      `## ${path} (${files.length} profile${files.length === 1 ? "" : "s"}): busy ${ms(busy)} ms of ${ms(total)} ms (start-up ${ms(startup)} ms left out)`,
      "",
      ...table("self time by package / module", byBucket),
      ...table("self time, Node's and native code charged to their caller", byCaller),
      ...table("self time by function", byFunction),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}

await main();

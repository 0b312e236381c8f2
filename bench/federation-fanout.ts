/**
 * Fan-out benchmark on its own (`npm run bench` runs it too, as its `fanout` part):
 *
 *   node bench/federation-fanout.ts [--followers 1000] [--hosts 20] [--workers 1,2] [--lessons 1] [--shared]
 *
 * Needs TEST_DATABASE_URL (`eval "$(bash scripts/test-services.sh)"`). FEDERATION_QUEUE_* variables
 * are passed to the FediFlow processes; BENCH_CPU_PROF=<dir> writes CPU profiles of the delivering
 * workers there. Prints one JSON result per worker count. See bench/lib/fanout.ts for the set-up.
 */
import { parseArgs } from "node:util";
import { measureFanout, signatureCpuMs } from "./lib/fanout.ts";

const { values: args } = parseArgs({
  options: {
    followers: { type: "string", default: "1000" },
    hosts: { type: "string", default: "20" },
    workers: { type: "string", default: "1,2" },
    shared: { type: "boolean", default: false },
    lessons: { type: "string", default: "1" },
  },
});
const queueEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name.startsWith("FEDERATION_QUEUE_")),
) as Record<string, string>;
const results = await measureFanout({
  followers: Number(args.followers),
  hosts: Number(args.hosts),
  workers: args.workers.split(",").map(Number),
  shared: args.shared,
  lessons: Number(args.lessons),
  env: queueEnv,
  cpuProfileDir: process.env.BENCH_CPU_PROF,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stderr.write(`one RSA-2048 signature: ${await signatureCpuMs()} ms of CPU\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (results.some((r) => r.lost > 0)) process.exitCode = 1;

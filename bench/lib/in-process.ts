/**
 * The benchmark's in-process part: the read route's CPU per request inside one FediFlow process
 * (bench/in-process-app.ts, `app.request()`), with telemetry off, on, and on with one signal taken away.
 * Without sockets and without the load generator on the same two cores, what telemetry costs the
 * service's own code shows with less noise than under HTTP load; each setting runs in a fresh
 * process, the settings alternate, and the whole cycle repeats `cycles` times.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import type { TestDatabase } from "../../test/support/database.ts";
import { testCacheEnv } from "../../test/support/database.ts";
import { startFlags, telemetryEnv, track, WITHOUT_ONE_SIGNAL } from "./processes.ts";
import type { TargetKey } from "./report.ts";

const root = join(import.meta.dirname, "..", "..");
const IN_PROCESS_TARGETS = ["off", "on", ...Object.keys(WITHOUT_ONE_SIGNAL)] as TargetKey[];
/** Requests per measured round, and rounds per process (after as many requests to warm up). */
export const REQUESTS_PER_ROUND = 3000;
export const ROUNDS_PER_PROCESS = 5;

/** One process of bench/in-process-app.ts with `env`: its CPU µs per request, one figure per round. */
async function inProcessRounds(env: Record<string, string>): Promise<number[]> {
  const child = track(
    fork(join(root, "bench", "in-process-app.ts"), {
      cwd: root,
      execArgv: [...startFlags(), "--import", "./src/platform/telemetry/instrumentation.ts"],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      // Log lines go to a pipe that is read, as a log collector would read them.
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    }),
  );
  child.stdout?.resume();
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 50) stderr.push(chunk.toString());
  });
  let rounds: number[] | undefined;
  child.on("message", (message: { cpuMicrosPerRequest?: number[] }) => {
    rounds = message.cpuMicrosPerRequest;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0 || !rounds)
    throw new Error(`bench/in-process-app.ts exited with ${code}:\n${stderr.join("")}`);
  return rounds;
}

export interface InProcessOptions {
  database: TestDatabase;
  sinkUrl: string;
  cycles: number;
  log: (line: string) => void;
}

/** Every setting's CPU µs per request, all rounds of all cycles in the order measured. */
export async function measureInProcess(
  options: InProcessOptions,
): Promise<Partial<Record<TargetKey, number[]>>> {
  const base = {
    ...options.database.env,
    ...testCacheEnv(),
    HOST: "127.0.0.1",
    FEDERATION_ENABLED: "true",
    PASSWORD_HASH_COST: "10",
    RATE_LIMIT_MAX: "1000000",
    BENCH_IN_PROCESS_REQUESTS: String(REQUESTS_PER_ROUND),
    BENCH_IN_PROCESS_ROUNDS: String(ROUNDS_PER_PROCESS),
  };
  const envOf = (key: TargetKey): Record<string, string> => {
    const on = telemetryEnv("on", options.sinkUrl);
    if (key === "off") return telemetryEnv("off", options.sinkUrl);
    return { ...on, ...(WITHOUT_ONE_SIGNAL[key as keyof typeof WITHOUT_ONE_SIGNAL] ?? {}) };
  };
  const results: Partial<Record<TargetKey, number[]>> = {};
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    for (const key of IN_PROCESS_TARGETS) {
      const rounds = await inProcessRounds({ ...base, ...envOf(key) });
      results[key] = [...(results[key] ?? []), ...rounds];
      options.log(`in process, cycle ${cycle + 1}/${options.cycles} ${key}: ${rounds.join(" ")} µs/req`);
    }
  }
  return results;
}

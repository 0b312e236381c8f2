/**
 * The processes the benchmark measures: FediFlow with telemetry on or off, on Node exactly as `npm start`
 * runs it (its build, test/support/spawn.ts' startCommand) or on Bun (the sources); the bare Hono app;
 * the OTLP sink.
 * Every one listens on 127.0.0.1 only and is stopped by its PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { TestDatabase } from "../../test/support/database.ts";
import { freePort, pollUntil } from "../../test/support/processes.ts";
import { ADMIN_TOKEN, type Runtime, runtimeCommand, startCommand } from "../../test/support/spawn.ts";

const root = join(import.meta.dirname, "..", "..");

// Every process the benchmark starts is told to stop when the benchmark exits, even on an uncaught error.
const started = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
});
/** Registers a child process to be stopped (SIGTERM to its PID) when the benchmark exits. */
export function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

export interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a helper program that prints `{"port": N}` first; the rest of its stdout is discarded unread. */
async function startChild(command: string, args: string[], env: Record<string, string>): Promise<Child> {
  const child = track(
    spawn(command, args, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const exited = once(child, "exit");
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = once(lines, "line") as Promise<[string]>;
  const [line] = await Promise.race([
    first,
    exited.then(([code]) => {
      throw new Error(`${command} ${args.join(" ")} exited with ${code} before listening`);
    }),
  ]);
  lines.close();
  child.stdout?.resume();
  return {
    url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const runtimeBinary = (runtime: Runtime) =>
  runtime === "bun" ? join(root, "node_modules", ".bin", "bun") : process.execPath;

export function startOtlpSink(): Promise<Child> {
  return startChild(process.execPath, ["bench/otlp-sink.ts"], {});
}

/** Counts of OTLP export requests per path, from the sink. */
export async function sinkStats(sink: Child): Promise<Record<string, { requests: number; bytes: number }>> {
  return (await fetch(`${sink.url}/stats`)).json() as Promise<
    Record<string, { requests: number; bytes: number }>
  >;
}

export function startBareApp(runtime: Runtime, env: Record<string, string>): Promise<Child> {
  return startChild(runtimeBinary(runtime), ["bench/bare-app.ts"], env);
}

/** The spec's seed stack (bench/seed-app.cjs), exporting traces to the sink. */
export function startSeedApp(env: Record<string, string>): Promise<Child> {
  return startChild(process.execPath, ["bench/seed-app.cjs"], env);
}

/** The telemetry settings compared: everything on (exported to the sink) and the "off". */
export function telemetryEnv(telemetry: "on" | "off", sinkUrl: string): Record<string, string> {
  return telemetry === "on"
    ? {
        OTEL_SDK_DISABLED: "false",
        OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
        OTEL_TRACES_SAMPLER: "parentbased_always_on",
        METRICS_ENABLED: "true",
        LOG_LEVEL: "info",
      }
    : { OTEL_SDK_DISABLED: "true", METRICS_ENABLED: "false", LOG_LEVEL: "error" };
}

/** What each signal costs: telemetry on (telemetryEnv) with one signal taken away. */
export const WITHOUT_ONE_SIGNAL = {
  noTraces: { OTEL_TRACES_EXPORTER: "none" },
  noOtlpLogs: { OTEL_LOGS_EXPORTER: "none" },
  noAccessLog: { LOG_LEVEL: "warning" },
} as const;

/**
 * The V8 and Node flags of `npm start`'s command (package.json's start script: those before its
 * `--import`), for processes that run FediFlow's code in another way.
 */
export function startFlags(): string[] {
  const args = startCommand(root).slice(1);
  return args.slice(0, args.indexOf("--import"));
}

export interface ServiceOptions {
  runtime: Runtime;
  /** The FediFlow tree to run (its own src/ and node_modules/): this checkout unless given (BENCH_BASELINE). */
  root?: string;
  database: TestDatabase;
  /** Added last: overrides the defaults below (REDIS_URL "" means the in-process cache). */
  env: Record<string, string>;
  /** Node only: write a CPU profile (`--cpu-prof`) into this directory when the process exits. */
  cpuProfileDir?: string;
  /** Node only: let `collectGarbage` reach the process through its inspector (loopback, random port). */
  inspect?: boolean;
  /**
   * Node only: V8 and Node flags on the command line (some, like V8's GC tuning, are refused in
   * NODE_OPTIONS), after those of `npm start`'s command, so they override them.
   */
  nodeArgs?: string[];
}

const built = new Set<string>();
/** `npm run build` once per tree, as `npm start`'s prestart does (a tree without a build script: nothing). */
function buildOnce(tree: string): void {
  if (built.has(tree)) return;
  const result = spawnSync("npm", ["run", "build", "--if-present"], { cwd: tree, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`npm run build failed in ${tree}`);
  built.add(tree);
}

export interface Service extends Child {
  /** The first 200 lines the process wrote on stderr. */
  stderr: string[];
}

/**
 * FediFlow as `npm start` runs it (on Bun: test/support/spawn.ts' command), ready once `/ready`
 * answers 200: with LOG_LEVEL above info there is no start-up line to wait for. Its stdout is read and
 * discarded, as a log collector would. A process that does not get ready in 60 s is killed.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const nodeOptions =
    options.runtime === "node"
      ? [
          ...(options.inspect ? ["--inspect=127.0.0.1:0"] : []),
          ...(options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
        ]
      : [];
  const port = options.env.PORT ?? String(await freePort());
  const tree = options.root ?? root;
  if (options.runtime === "node") buildOnce(tree);
  const [command, ...args] =
    options.runtime === "node" ? startCommand(tree) : runtimeCommand(options.runtime);
  // After npm start's own flags (the last of a repeated V8 flag wins), before the preload.
  if (options.runtime === "node") args.splice(args.indexOf("--import"), 0, ...(options.nodeArgs ?? []));
  const child = track(
    spawn(command as string, args, {
      cwd: tree,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: "127.0.0.1",
        ADMIN_TOKEN,
        PASSWORD_HASH_COST: "10",
        RATE_LIMIT_MAX: "1000000",
        DATABASE_POOL_MAX: "10",
        ...options.database.env,
        ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
        ...options.env,
        PORT: port,
        ...(nodeOptions.length > 0 ? { NODE_OPTIONS: nodeOptions.join(" ") } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  child.stdout?.resume();
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    if (stderr.length < 200) stderr.push(line);
  });
  const exited = once(child, "exit");
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await exited;
  };
  try {
    await pollUntil(async () => (await fetch(`${url}/ready`)).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: `FediFlow on ${options.runtime} ready at ${url}`,
      abortIf: () =>
        child.exitCode === null ? undefined : `FediFlow exited with ${child.exitCode}:\n${stderr.join("\n")}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid as number, stderr, stop };
}

/**
 * Forces a full garbage collection in a Node process started by `startService` (through its inspector,
 * HeapProfiler.collectGarbage) and returns its V8 heap in use afterwards, in MiB.
 */
export async function collectGarbage(server: Service): Promise<number> {
  const line = server.stderr.find((l) => l.includes("Debugger listening on ws://"));
  const address = line ? /ws:\/\/\S+/.exec(line)?.[0] : undefined;
  if (!address) throw new Error(`no inspector address in the server's stderr:\n${server.stderr.join("\n")}`);
  const socket = new WebSocket(address);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<{ result?: { result?: { value?: string } } }>((resolve) => {
      const id = ++nextId;
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(String(event.data)) as { id?: number };
        if (message.id !== id) return;
        socket.removeEventListener("message", onMessage);
        resolve(message as { result?: { result?: { value?: string } } });
      };
      socket.addEventListener("message", onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    await call("HeapProfiler.collectGarbage");
    const usage = await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    });
    const { heapUsed } = JSON.parse(usage.result?.result?.value ?? "{}") as { heapUsed?: number };
    return Math.round((heapUsed ?? Number.NaN) / 2 ** 20);
  } finally {
    socket.close();
  }
}

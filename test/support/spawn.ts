import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createTestDatabase, type TestDatabase, testCacheEnv } from "./database.ts";

export type Runtime = "node" | "bun" | "deno";

/**
 * The runtime the HTTP-level suites (`*.http.test.ts`) start their servers on: FEDIFLOW_TEST_RUNTIME,
 * set by `npm test` for each pass (scripts/test.sh); undefined when unset (run in process, or on Node).
 */
export function testRuntime(): Runtime | undefined {
  const runtime = process.env.FEDIFLOW_TEST_RUNTIME;
  if (runtime === undefined || runtime === "") return undefined;
  if (runtime !== "node" && runtime !== "bun" && runtime !== "deno")
    throw new Error(`FEDIFLOW_TEST_RUNTIME must be node, bun or deno, not ${runtime}`);
  return runtime;
}

/** The ADMIN_TOKEN every test server runs with. */
export const ADMIN_TOKEN = "test-admin-token-0123456789";

const root = join(import.meta.dirname, "..", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/** The command that starts src/main.ts with the telemetry preload on each runtime (as package.json does). */
export function runtimeCommand(runtime: Runtime): string[] {
  const preload = "./src/platform/telemetry/instrumentation.ts";
  switch (runtime) {
    case "node":
      return [process.execPath, "--import", preload, "src/main.ts"];
    case "bun":
      // Bun would otherwise load ./.env (compose's image pins and local credentials) into the service.
      return [bin("bun"), "--no-env-file", "--preload", preload, "src/main.ts"];
    case "deno":
      return [bin("deno"), "run", "-A", "--preload", preload, "src/main.ts"];
  }
}

/**
 * What `npm start` runs on Node (package.json's `start` script, after its `prestart` build) in the tree
 * at `tree` (this checkout by default): here the build of src/ in dist/ with its Node and V8 flags, the
 * command the image runs too. Node is this process's binary.
 */
export function startCommand(tree = root): string[] {
  const { scripts } = JSON.parse(readFileSync(join(tree, "package.json"), "utf8")) as {
    scripts: { start: string };
  };
  const [node, ...args] = scripts.start.split(" ");
  if (node !== "node") throw new Error(`${tree}/package.json's start script runs ${node}, not node`);
  return [process.execPath, ...args];
}

export interface SpawnedServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Every stdout line the server wrote, parsed as JSON where possible. */
  logs: Record<string, unknown>[];
  stderr: string[];
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the real server as a child process (own database, port chosen by the OS) and resolves once it
 * logged that it listens. `env` is added to a clean environment: OTEL_* variables come only from the test.
 */
export async function spawnServer(
  options: {
    runtime?: Runtime;
    env?: Record<string, string>;
    database?: TestDatabase;
    /** Stop collecting stdout once the server listens (benchmarks: no log parsing on the measuring side). */
    discardLogsAfterStart?: boolean;
    /** Node only: flags first on the command line (e.g. another `--import`). */
    nodeArgs?: string[];
    /** Node only: the command instead of runtimeCommand's (e.g. npm start's: startCommand). */
    command?: string[];
  } = {},
): Promise<SpawnedServer> {
  const runtime = options.runtime ?? testRuntime() ?? "node";
  const database = options.database ?? (await createTestDatabase());
  if ((options.nodeArgs || options.command) && runtime !== "node")
    throw new Error(`nodeArgs and command are for Node, not ${runtime}`);
  const [command, ...args] = options.command ?? runtimeCommand(runtime);
  args.unshift(...(options.nodeArgs ?? []));
  const child = spawn(command as string, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: "0",
      HOST: "127.0.0.1",
      ADMIN_TOKEN,
      PASSWORD_HASH_COST: "10",
      DATABASE_POOL_MAX: "4",
      OTEL_SDK_DISABLED: "true",
      DENO_NO_UPDATE_CHECK: "1",
      ...database.env,
      ...testCacheEnv(),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const stdoutLines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  stdoutLines.on("line", (line) => {
    try {
      logs.push(JSON.parse(line));
    } catch {
      logs.push({ raw: line });
    }
    for (const wake of waiters) wake();
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    stderr.push(line);
  });
  // "close" rather than "exit": it waits until stdout and stderr are fully read.
  const exited = once(child, "close").then(([code]) => code as number | null);

  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          cleanup();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `log line not seen in ${timeoutMs} ms; stdout:\n${JSON.stringify(logs)}\nstderr:\n${stderr.join("\n")}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      exited.then(() => {
        if (!logs.find(predicate)) {
          cleanup();
          reject(new Error(`server exited; stdout:\n${JSON.stringify(logs)}\nstderr:\n${stderr.join("\n")}`));
        }
      });
      waiters.add(check);
      check();
    });

  const listening = await waitForLog(
    (line) => typeof line.port === "number" && /listening/.test(String(line.message)),
  );
  const port = listening.port as number;
  if (options.discardLogsAfterStart) {
    stdoutLines.close();
    child.stdout?.resume();
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    logs,
    stderr,
    waitForLog,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      if (!options.database) await database.drop();
      return code;
    },
  };
}

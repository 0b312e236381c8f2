import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

/** A port the kernel chose on 127.0.0.1, bound and released at once. */
function releasedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Every port freePort() has handed out in this process. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (bound and released: fine for tests that start their peers at once),
 * never one this process was given before: the kernel may hand a just-released port out again, and
 * two programs started side by side on two such answers then race for one port (the pipeline suite's
 * Elasticsearch lost 127.0.0.1:42953 to its Jaeger that way). Throws after 100 repeats in a row.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await releasedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no loopback port that was not handed out before in 100 attempts");
}

/**
 * Waits for every one of `starts` to settle, then rejects with the first failure, if any. For programs
 * started side by side whose handles an `after` hook stops: each start assigns its handle itself
 * (`.then((p) => { x = p; })`), so when one fails the others are assigned before this rejects. With
 * `[a, b] = await Promise.all(...)` a program started beside a failed one is never assigned, nothing
 * stops it, and the test process waits on it for good (the pipeline suite hung so after a failed start).
 */
export async function settleAll(starts: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(starts)).find(
    (result): result is PromiseRejectedResult => result.status === "rejected",
  );
  if (failed) throw failed.reason;
}

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real program (Prometheus, Alertmanager, …) and resolves when `readyUrl` answers 2xx.
 * Rejects with the program's output if it exits first or is not ready within `timeoutMs`.
 */
export async function startProcess(
  bin: string,
  args: string[],
  readyUrl: string,
  timeoutMs = 30_000,
): Promise<RunningProcess> {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const exited = once(child, "exit");
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (e) => reject(new Error(`${bin}: ${e.message}`)));
    exited.then(([code]) => reject(new Error(`${bin} exited with ${code}:\n${log}`)));
  });
  failed.catch(() => {});
  const ready = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(readyUrl)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${bin} not ready after ${timeoutMs} ms:\n${log}`);
  })();
  await Promise.race([ready, failed]);
  return {
    child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * Calls `probe` until it returns a truthy value, at most `timeoutMs`; a probe that throws counts as
 * "not yet". `abortIf` ends the wait early with its message (a program that exited); `detail` adds
 * context (program output) to a timeout.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    description: string;
    abortIf?: () => string | undefined;
    detail?: () => string;
  },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    const abort = options.abortIf?.();
    if (abort) throw new Error(`${abort} while waiting for ${options.description}`);
    try {
      const result = await probe();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const cause = last ? `: ${String(last)}` : "";
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${options.description}${cause}${options.detail?.() ?? ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

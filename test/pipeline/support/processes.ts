/**
 * Child processes for the pipeline test: several free loopback ports, a started program whose output is kept
 * (and shown when something fails), bounded readiness waits, and a bounded stop (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { freePort, pollUntil, settleAll } from "../../support/processes.ts";

/** `count` free loopback ports, distinct (freePort never repeats one). */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort());
  return ports;
}

export interface Program {
  name: string;
  process: ChildProcess;
  /** Last lines of stdout and stderr, interleaved. */
  output(): string;
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

const KEEP_LINES = 400;

/** Starts `command` with `args`; `stdin: "pipe"` keeps a pipe open (closing it is a stop signal for some). */
export function startProgram(
  name: string,
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: "pipe" | "ignore" } = {},
): Program {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (error) => lines.push(`spawn error: ${error.message}`));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    name,
    process: child,
    output: () => lines.join("\n"),
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when `url` answers with a 2xx status. */
export function waitForHttp(url: string, program: Program, timeoutMs = 60_000): Promise<true> {
  return pollUntil(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.ok;
    },
    {
      timeoutMs,
      description: `${url} to answer 2xx`,
      abortIf: () =>
        program.process.exitCode !== null ? `${program.name} exited:\n${program.output()}` : undefined,
      detail: () => `\n${program.name} output:\n${program.output()}`,
    },
  );
}

/** Runs a command to completion (bounded) and resolves with its stdout; rejects with stderr on failure. */
export function run(
  command: string,
  args: string[],
  options: { timeoutMs: number; cwd?: string; env?: Record<string, string> },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Fetches JSON with a bounded wait. */
export async function getJson<T = unknown>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export { freePort, pollUntil, settleAll };

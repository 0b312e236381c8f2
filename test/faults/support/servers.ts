import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { promisify } from "node:util";
import { freePort, pollUntil, settleAll } from "../../support/processes.ts";

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster for fault tests (Debian's server binaries, a temporary directory, a free
 * loopback port): the only PostgreSQL these tests restart, SIGKILL or stop. Commands run asynchronously so
 * the load the test generates keeps running while the server restarts. As root, the binaries run as the
 * `postgres` user (PostgreSQL refuses root).
 */
export class PostgresCluster {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  readonly #bin: string;

  private constructor(dir: string, bin: string, port: number) {
    this.#dir = dir;
    this.#bin = bin;
    this.port = port;
    this.url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  }

  static async create(): Promise<PostgresCluster> {
    const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b));
    const bin = join("/usr/lib/postgresql", versions.at(-1) ?? "15", "bin");
    const dir = mkdtempSync(join(tmpdir(), "fediflow-faults-pg-"));
    chmodSync(dir, 0o777);
    const cluster = new PostgresCluster(dir, bin, await freePort());
    await cluster.#pg("initdb", ["-D", cluster.#data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
    await cluster.start();
    return cluster;
  }

  get #data(): string {
    return join(this.#dir, "data");
  }

  #pg(program: string, args: string[]): Promise<{ stdout: string }> {
    const command = join(this.#bin, program);
    return process.getuid?.() === 0
      ? run("runuser", ["-u", "postgres", "--", command, ...args])
      : run(command, args);
  }

  /** The postmaster's PID (first line of postmaster.pid), or undefined when it is not running. */
  postmasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.#data, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /**
   * Starts the server and waits until it accepts connections. After a SIGKILL of the postmaster its
   * orphaned backends hold the shared memory for a moment ("pre-existing shared memory block is still
   * in use"): retried until they are gone.
   */
  async start(): Promise<void> {
    await pollUntil(
      async () => {
        await this.#pg("pg_ctl", [
          "-D",
          this.#data,
          "-l",
          join(this.#dir, "log"),
          "-w",
          "-t",
          "20",
          "-o",
          `-p ${this.port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on`,
          "start",
        ]);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: "PostgreSQL to start", detail: () => this.log() },
    );
  }

  /** `pg_ctl restart -m fast`: backends get 57P01, new connections 57P03 while it shuts down and starts. */
  async restartFast(): Promise<void> {
    await this.#pg("pg_ctl", [
      "-D",
      this.#data,
      "-l",
      join(this.#dir, "log"),
      "-m",
      "fast",
      "-w",
      "-o",
      `-p ${this.port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      "restart",
    ]);
  }

  /** SIGKILL of the postmaster, as an OOM killer or a crashed host would do it. */
  killPostmaster(): void {
    const pid = this.postmasterPid();
    if (!pid) throw new Error("PostgreSQL is not running");
    process.kill(pid, "SIGKILL");
  }

  log(): string {
    try {
      return `\nPostgreSQL log:\n${readFileSync(join(this.#dir, "log"), "utf8").slice(-4000)}`;
    } catch {
      return "";
    }
  }

  /** Stops the server (by the PID in its pid file, through pg_ctl) and removes the cluster. */
  async destroy(): Promise<void> {
    const pid = this.postmasterPid();
    if (pid) {
      await this.#pg("pg_ctl", ["-D", this.#data, "-m", "immediate", "-w", "stop"]).catch(() => {
        process.kill(pid, "SIGKILL");
      });
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * A redis-server of the test's own on a free loopback port, as a child process: stopped, restarted,
 * frozen (SIGSTOP) and thawed by its PID. The append-only file is fsynced on every write, so sessions
 * survive a stop like they would on a persistent Redis.
 */
export class RedisServer {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  #child: ChildProcess | undefined;

  private constructor(dir: string, port: number) {
    this.#dir = dir;
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async create(): Promise<RedisServer> {
    const server = new RedisServer(mkdtempSync(join(tmpdir(), "fediflow-faults-redis-")), await freePort());
    await server.start();
    return server;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.#dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    let output = "";
    child.stdout?.on("data", (d) => {
      output += d;
    });
    await pollUntil(() => /Ready to accept connections/.test(output), {
      timeoutMs: 10_000,
      intervalMs: 20,
      description: "redis-server to start",
      abortIf: () => (child.exitCode !== null ? `redis-server exited:\n${output}` : undefined),
    });
  }

  /** SIGTERM and wait for the exit (Redis finishes its append-only file first). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    await exited;
  }

  /** SIGSTOP: connections stay open, nothing is answered — a hung Redis. */
  freeze(): void {
    this.#child?.kill("SIGSTOP");
  }

  thaw(): void {
    this.#child?.kill("SIGCONT");
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * A PostgreSQL cluster and a redis-server for the calling test file: started before its tests,
 * destroyed after them (read the properties inside tests, not at import time).
 */
export function ownServers(): { readonly cluster: PostgresCluster; readonly redis: RedisServer } {
  let cluster: PostgresCluster | undefined;
  let redis: RedisServer | undefined;
  before(async () => {
    await settleAll([
      PostgresCluster.create().then((started) => {
        cluster = started;
      }),
      RedisServer.create().then((started) => {
        redis = started;
      }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([cluster?.destroy(), redis?.destroy()]);
  });
  return {
    get cluster() {
      if (!cluster) throw new Error("the fault servers are not started yet");
      return cluster;
    },
    get redis() {
      if (!redis) throw new Error("the fault servers are not started yet");
      return redis;
    },
  };
}

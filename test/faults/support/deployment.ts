import postgres from "postgres";
import { createSchool, type School } from "../../support/api.ts";
import { type Runtime, type SpawnedServer, spawnServer } from "../../support/spawn.ts";

/** Settings every fault-test process shares: no rate limit in the way of 16 busy clients, no telemetry export. */
const BASE_ENV = {
  RATE_LIMIT_MAX: "1000000",
  OTEL_SDK_DISABLED: "true",
  LOG_LEVEL: "info",
};

/**
 * The service as deployed for a fault test: `webs` web processes (NODE_TYPE=web) and optionally one
 * worker, all on one fresh database of the test's PostgreSQL cluster and on the test's Redis. The
 * processes are real (src/main.ts), started and stopped by PID.
 */
export class Deployment {
  readonly databaseUrl: string;
  readonly webs: SpawnedServer[] = [];
  worker: SpawnedServer | undefined;
  readonly #env: Record<string, string>;
  readonly #runtime: Runtime;
  readonly #clusterUrl: string;
  readonly #database: string;

  private constructor(clusterUrl: string, database: string, env: Record<string, string>, runtime: Runtime) {
    this.#clusterUrl = clusterUrl;
    this.#database = database;
    const url = new URL(clusterUrl);
    url.pathname = `/${database}`;
    this.databaseUrl = url.toString();
    this.#env = env;
    this.#runtime = runtime;
  }

  static async start(options: {
    clusterUrl: string;
    redisUrl: string;
    name: string;
    webs: number;
    worker?: boolean;
    env?: Record<string, string>;
    runtime?: Runtime;
  }): Promise<Deployment> {
    const database = `faults_${options.name}_${Date.now().toString(36)}`;
    const admin = postgres(options.clusterUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${database}`);
    await admin.end();
    const deployment = new Deployment(
      options.clusterUrl,
      database,
      { ...BASE_ENV, REDIS_URL: options.redisUrl, ...options.env },
      options.runtime ?? "node",
    );
    // One after the other: the first applies the migrations.
    for (let i = 0; i < options.webs; i++) deployment.webs.push(await deployment.spawn("web"));
    if (options.worker) deployment.worker = await deployment.spawn("worker");
    return deployment;
  }

  spawn(role: "web" | "worker", env: Record<string, string> = {}): Promise<SpawnedServer> {
    return spawnServer({
      runtime: this.#runtime,
      database: { env: { DATABASE_URL: this.databaseUrl }, drop: async () => {} },
      env: { ...this.#env, NODE_TYPE: role, ...env },
    });
  }

  get urls(): string[] {
    return this.webs.map((w) => w.url);
  }

  createSchool(slug: string): Promise<School> {
    return createSchool(this.urls[0] as string, slug);
  }

  /** Every process still running, as the same process (PID) that was started. */
  alive(): { pid: number | undefined; running: boolean }[] {
    return [...this.webs, ...(this.worker ? [this.worker] : [])].map((s) => ({
      pid: s.process.pid,
      running: s.process.exitCode === null && s.process.signalCode === null,
    }));
  }

  /** Lines at level warn or above that the processes wrote since `index` (a previous `logCount()`). */
  logCount(): number[] {
    return this.webs.map((w) => w.logs.length);
  }

  warningsSince(marks: number[]): number {
    return this.webs.reduce(
      (sum, w, i) =>
        sum + w.logs.slice(marks[i] ?? 0).filter((l) => l.level === "warn" || l.level === "error").length,
      0,
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.webs, ...(this.worker ? [this.worker] : [])].map((s) => s.stop()));
    const admin = postgres(this.#clusterUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${this.#database} with (force)`).catch(() => {});
    await admin.end();
  }
}

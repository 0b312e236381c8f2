/**
 * `npm run bench`: every figure of issue 18 in one run and one table (bench/lib/report.ts), written to
 * bench/results.json, bench/results.md and README.md's `<!-- bench:start -->` block.
 *
 * Read route: authenticated `GET /api/v1/courses` (20 rows), 32 connections, alternating rounds so
 * drift in machine load hits every server alike — FediFlow on Node with telemetry off and on, a bare
 * Hono + postgres.js app on Node and Bun, FediFlow on Bun, FediFlow on its embedded defaults. RSS at
 * rest (after start-up and a forced GC) and after the load; CPU per request from /proc; the telemetry
 * servers again at one fixed rate. The same route inside one process per telemetry setting, through
 * `app.request()` (bench/lib/in-process.ts). Then the federation fan-out with one and two worker
 * processes (bench/lib/fanout.ts).
 *
 * Needs the PostgreSQL and Redis of `eval "$(bash scripts/test-services.sh)"` (a fresh database is
 * created and dropped). Everything listens on 127.0.0.1 and is stopped by its PID. Settings:
 *   BENCH_PARTS           telemetry,runtimes,embedded,inprocess,fanout (the default: all five). Optional parts:
 *                         `signals` (telemetry on with traces, OTLP logs or the access log taken away:
 *                         what each signal costs), `seed` (the spec's seed stack: Express, node-postgres, OTel auto-instrumentation,
 *                         winston) and `soak` (RSS under BENCH_SOAK_SECONDS of load with the OTLP endpoint
 *                         down, and up as the control)
 *   BENCH_ROUNDS          measured rounds per server (3; one warm-up round before)
 *   BENCH_ROUND_SECONDS   seconds per round (5)
 *   BENCH_CONNECTIONS     (32)
 *   BENCH_FIXED_RATE      req/s of the fixed-rate rounds (half the slowest telemetry server's)
 *   BENCH_IN_PROCESS_CYCLES  cycles of the in-process settings, a fresh process each (2)
 *   BENCH_FOLLOWERS / BENCH_HOSTS   fan-out size (1000 / 20)
 *   BENCH_FANOUT_LESSONS  measured lessons per worker count (3); the table shows the median lesson and
 *                         every lesson's deliveries/s and p95 as its range
 *   BENCH_BASELINE=<dir>  another FediFlow tree (a checkout with its own node_modules, e.g. main's) measured
 *                         in the same run: its telemetry on/off servers alternate with this tree's, and its
 *                         fan-out runs before this tree's (BENCH_BASELINE_LABEL names it in the table)
 *   BENCH_NODE_ARGS       flags for every FediFlow process on Node (e.g. V8 heap sizing, which NODE_OPTIONS
 *                         refuses), after those of `npm start` (which FediFlow on Node runs: its build,
 *                         with the V8 flags of package.json), so they override them; recorded in the results
 *   BENCH_CPU_PROF=<dir>  CPU profiles of every Node FediFlow process, one subdirectory per server
 *                         (summarise them with `node bench/profile-summary.ts <dir>/<server>`)
 * README.md is rewritten only by a run of the five default parts. `node bench/run.ts --render`
 * re-renders results.md and the README block from results.json.
 * With the defaults a run takes about 10 minutes on 2 cores.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { arch, cpus, platform, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createSchool, expectStatus } from "../test/support/api.ts";
import { createTestDatabase, type TestDatabase } from "../test/support/database.ts";
import { measureFanout, signatureCpuMs } from "./lib/fanout.ts";
import { measureInProcess, REQUESTS_PER_ROUND, ROUNDS_PER_PROCESS } from "./lib/in-process.ts";
import { load1, type RoundResult, round, rssMb } from "./lib/measure.ts";
import {
  type Child,
  collectGarbage,
  type Service,
  sinkStats,
  startBareApp,
  startOtlpSink,
  startSeedApp,
  startService,
  telemetryEnv,
  WITHOUT_ONE_SIGNAL,
} from "./lib/processes.ts";
import {
  type Results,
  renderTable,
  replaceBlock,
  type SoakResult,
  summarize,
  type TargetKey,
  type TargetResult,
} from "./lib/report.ts";
import { scrapeCost } from "./lib/scrape.ts";

const DEFAULT_PARTS = ["telemetry", "runtimes", "embedded", "inprocess", "fanout"];
const PARTS = (process.env.BENCH_PARTS ?? DEFAULT_PARTS.join(",")).split(",").map((p) => p.trim());
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const BASELINE = process.env.BENCH_BASELINE || undefined;
const FANOUT_LESSONS = Number(process.env.BENCH_FANOUT_LESSONS ?? 3);
const COURSES = 20;

const resultsFile = new URL("./results.json", import.meta.url);
const markdownFile = new URL("./results.md", import.meta.url);
const readmeFile = new URL("../README.md", import.meta.url);
const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${load1()}] ${line}\n`);

interface Target {
  key: TargetKey;
  url: string;
  pid: number;
  headers: Record<string, string>;
  /** The FediFlow process (Node: GC and heap through its inspector); undefined for the bare apps. */
  service?: Service;
  node: boolean;
  rounds: RoundResult[];
  restMb?: number;
  restHeapUsedMb?: number;
  /** /metrics is scraped once a round on the telemetry-on servers, as Prometheus would. */
  scrape?: () => Promise<unknown>;
}

async function atRest(target: Target): Promise<void> {
  if (!target.service || !target.node) return;
  target.restHeapUsedMb = await collectGarbage(target.service);
  target.restMb = await rssMb(target.pid);
}

async function seed(url: string, slug: string) {
  const school = await createSchool(url, slug);
  for (let i = 0; i < COURSES; i++) {
    expectStatus(
      await school.instructor.post("/courses", { title: `Course ${i}`, course_type: "cohort" }),
      201,
    );
  }
  return school;
}

async function checkRoute(target: Target): Promise<void> {
  const response = await fetch(`${target.url}/api/v1/courses?limit=20`, { headers: target.headers });
  const body = (await response.json()) as { items?: unknown[] };
  if (response.status !== 200 || body.items?.length !== COURSES)
    throw new Error(
      `${target.key}: expected 200 with ${COURSES} courses, got ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
    );
}

async function measureHttp(results: Results, stops: (() => Promise<unknown>)[]): Promise<void> {
  const wanted = new Set<TargetKey>(["on"]);
  if (PARTS.includes("telemetry")) wanted.add("off");
  if (PARTS.includes("runtimes")) for (const k of ["bareNode", "bunOn", "bareBun"] as const) wanted.add(k);
  if (PARTS.includes("embedded")) wanted.add("embedded");
  if (BASELINE) {
    wanted.add("baseOn");
    if (PARTS.includes("telemetry")) wanted.add("baseOff");
  }
  if (PARTS.includes("seed")) wanted.add("seed");
  if (PARTS.includes("signals"))
    for (const k of ["noTraces", "noOtlpLogs", "noAccessLog"] as const) wanted.add(k);

  const sink = await startOtlpSink();
  stops.push(() => sink.stop());
  const database = await createTestDatabase();
  stops.push(() => database.drop());
  const profileDir = (key: TargetKey) => (PROFILE_DIR ? join(PROFILE_DIR, key) : undefined);
  const targets: Target[] = [];
  const addService = async (
    key: TargetKey,
    runtime: "node" | "bun",
    db: TestDatabase,
    env: Record<string, string>,
    root?: string,
  ) => {
    const service = await startService({
      runtime,
      root,
      database: db,
      env,
      inspect: true,
      nodeArgs: NODE_ARGS,
      cpuProfileDir: runtime === "node" ? profileDir(key) : undefined,
    });
    stops.push(() => service.stop());
    const target: Target = {
      key,
      url: service.url,
      pid: service.pid,
      headers: {},
      service,
      node: runtime === "node",
      rounds: [],
    };
    if (env.METRICS_ENABLED === "true")
      target.scrape = () =>
        fetch(`${service.url}/metrics`, { headers: { accept: "application/openmetrics-text" } }).then((r) =>
          r.text(),
        );
    await atRest(target);
    log(`${key} started on ${runtime}: RSS at rest ${target.restMb ?? "?"} MB`);
    targets.push(target);
    return target;
  };

  const on = telemetryEnv("on", sink.url);
  const onTarget = await addService("on", "node", database, on);
  if (wanted.has("off")) await addService("off", "node", database, telemetryEnv("off", sink.url));
  if (wanted.has("bunOn")) await addService("bunOn", "bun", database, on);
  for (const [key, change] of Object.entries(WITHOUT_ONE_SIGNAL) as [TargetKey, Record<string, string>][])
    if (wanted.has(key)) await addService(key, "node", database, { ...on, ...change });
  if (wanted.has("baseOn")) await addService("baseOn", "node", database, on, BASELINE);
  if (wanted.has("baseOff"))
    await addService("baseOff", "node", database, telemetryEnv("off", sink.url), BASELINE);
  const school = await seed(onTarget.url, "bench");
  const headers = { "x-tenant-id": school.slug, authorization: `Bearer ${school.student.token}` };
  for (const t of targets) t.headers = headers;
  const bareEnv = {
    BENCH_DATABASE_URL: database.env.DATABASE_URL as string,
    BENCH_TOKEN: school.student.token as string,
    BENCH_TENANT_ID: school.tenantId,
  };
  const others: [TargetKey, () => Promise<Child>][] = [
    ["bareNode", () => startBareApp("node", bareEnv)],
    ["bareBun", () => startBareApp("bun", bareEnv)],
    ["seed", () => startSeedApp({ ...bareEnv, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url })],
  ];
  for (const [key, start] of others) {
    if (!wanted.has(key)) continue;
    const app = await start();
    stops.push(() => app.stop());
    targets.push({ key, url: app.url, pid: app.pid, headers, node: false, rounds: [] });
  }
  if (wanted.has("embedded")) {
    const dir = await mkdtemp(join(tmpdir(), "fediflow-bench-"));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    // `npm start` without DATABASE_URL and REDIS_URL: PGlite under DATA_DIR and the in-process cache.
    const embedded = await addService(
      "embedded",
      "node",
      { env: { DATA_DIR: dir }, drop: async () => {} },
      { ...on, REDIS_URL: "" },
    );
    const local = await seed(embedded.url, "bench");
    embedded.headers = { "x-tenant-id": local.slug, authorization: `Bearer ${local.student.token}` };
  }
  for (const t of targets) await checkRoute(t);

  const roundOf = (t: Target, rate?: number) =>
    round({
      url: `${t.url}/api/v1/courses?limit=20`,
      headers: t.headers,
      pid: t.pid,
      connections: CONNECTIONS,
      seconds: ROUND_SECONDS,
      during: t.scrape,
      rate,
    });
  for (const t of targets) await roundOf(t); // warm-up: JIT, pools, caches
  const saturated = await alternatingRounds(targets, (t) => roundOf(t), "");
  for (const t of targets) t.rounds = saturated.get(t.key) ?? [];
  if (PARTS.includes("telemetry"))
    results.fixedRate = await fixedRateRounds(
      targets.filter((t) => FIXED_RATE_TARGETS.includes(t.key)),
      roundOf,
    );
  for (const t of targets) {
    const result: TargetResult = {
      ...summarize(t.rounds),
      restMb: t.restMb,
      restHeapUsedMb: t.restHeapUsedMb,
    };
    if (t.service && t.node) {
      await collectGarbage(t.service);
      result.afterLoadMb = await rssMb(t.pid);
    }
    results.http[t.key] = result;
  }
  const exported = await sinkStats(sink);
  if (!exported["/v1/traces"]?.requests || !exported["/v1/logs"]?.requests)
    throw new Error(`telemetry on exported no traces or no logs to the sink: ${JSON.stringify(exported)}`);
  log(`OTLP sink received ${JSON.stringify(exported)}`);
  if (PARTS.includes("telemetry")) results.metricsScrape = await scrapeCost();
  if (PARTS.includes("soak")) {
    const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
    results.soak = {
      collectorDown: await soak(
        database,
        headers,
        { ...on, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
        seconds,
      ),
      collectorUp: await soak(database, headers, on, seconds),
    };
  }
}

/**
 * BENCH_ROUNDS rounds of `run` per target, the targets alternating within each round (so drift in the
 * machine's speed hits every one alike); every round is logged, prefixed by `label`.
 */
async function alternatingRounds(
  targets: Target[],
  run: (t: Target) => Promise<RoundResult>,
  label: string,
): Promise<Map<TargetKey, RoundResult[]>> {
  const rounds = new Map<TargetKey, RoundResult[]>(targets.map((t) => [t.key, []]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const t of targets) {
      const r = await run(t);
      rounds.get(t.key)?.push(r);
      log(
        `${label}round ${i + 1}/${ROUNDS} ${t.key}: ${Math.round(r.requestsPerSecond)} req/s, ${r.cpuMicrosPerRequest} µs/req, ${r.rssMb} MB`,
      );
    }
  }
  return rounds;
}

/**
 * The servers the fixed-rate rounds compare: telemetry on and off, of this tree and of the baseline,
 * and the servers with one signal taken away (BENCH_PARTS=signals).
 */
const FIXED_RATE_TARGETS: TargetKey[] = [
  "on",
  "off",
  "noTraces",
  "noOtlpLogs",
  "noAccessLog",
  "baseOn",
  "baseOff",
];

/**
 * The telemetry servers again, alternating, each at the same fixed request rate: BENCH_FIXED_RATE, else
 * half the slowest one's saturated median (rounded down to 50), so that every one keeps up. Saturated,
 * a faster server also batches more (requests per event-loop turn, per syscall), which lowers its CPU
 * per request by itself; at one rate below saturation the CPU per request is the work a request costs.
 */
async function fixedRateRounds(
  targets: Target[],
  roundOf: (t: Target, rate: number) => Promise<RoundResult>,
): Promise<NonNullable<Results["fixedRate"]>> {
  const slowest = Math.min(...targets.map((t) => summarize(t.rounds).requestsPerSecond));
  const rate = Number(process.env.BENCH_FIXED_RATE ?? Math.max(50, Math.floor(slowest / 2 / 50) * 50));
  const rounds = await alternatingRounds(targets, (t) => roundOf(t, rate), `fixed ${rate} req/s, `);
  return {
    requestsPerSecond: rate,
    http: Object.fromEntries([...rounds].map(([key, r]) => [key, summarize(r)])),
  };
}

/**
 * A telemetry-on server under load for `seconds`: RSS after a warm-up quarter and at the end. With the
 * OTLP endpoint refusing connections the exporter queues must stay bounded; the control has it working.
 */
async function soak(
  database: TestDatabase,
  headers: Record<string, string>,
  env: Record<string, string>,
  seconds: number,
): Promise<SoakResult> {
  const service = await startService({ runtime: "node", database, env, nodeArgs: NODE_ARGS });
  try {
    const pid = service.pid;
    const load = (s: number) =>
      round({
        url: `${service.url}/api/v1/courses?limit=20`,
        headers,
        pid,
        connections: CONNECTIONS,
        seconds: s,
      });
    const warmup = await load(Math.max(1, Math.round(seconds / 4)));
    const rssAfterWarmupMb = await rssMb(pid);
    const rest = await load(seconds - Math.max(1, Math.round(seconds / 4)));
    const requests = warmup.requests + rest.requests;
    return {
      seconds,
      rssAfterWarmupMb,
      rssEndMb: await rssMb(pid),
      requests,
      errors: warmup.errors + rest.errors,
    };
  } finally {
    await service.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--render")) {
    const results = JSON.parse(await readFile(resultsFile, "utf8")) as Results;
    await publish(results);
    return;
  }
  if (!process.env.TEST_DATABASE_URL)
    throw new Error('needs PostgreSQL and Redis: eval "$(bash scripts/test-services.sh)"');
  const results: Results = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`,
    settings: {
      roundSeconds: ROUND_SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      parts: PARTS,
      ...(NODE_ARGS.length > 0 ? { nodeArgs: NODE_ARGS } : {}),
    },
    load: { start: load1(), end: 0 },
    ...(BASELINE ? { baseline: process.env.BENCH_BASELINE_LABEL ?? BASELINE } : {}),
    http: {},
    fanout: [],
  };
  const stops: (() => Promise<unknown>)[] = [];
  try {
    if (PARTS.some((p) => ["telemetry", "runtimes", "embedded"].includes(p)))
      await measureHttp(results, stops);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => log(`stopping: ${String(e)}`));
  }
  if (PARTS.includes("inprocess")) {
    const database = await createTestDatabase();
    const sink = await startOtlpSink();
    try {
      const cycles = Number(process.env.BENCH_IN_PROCESS_CYCLES ?? 2);
      results.inProcess = {
        requestsPerRound: REQUESTS_PER_ROUND,
        roundsPerProcess: ROUNDS_PER_PROCESS,
        cycles,
        cpuMicrosPerRequest: await measureInProcess({ database, sinkUrl: sink.url, cycles, log }),
      };
    } finally {
      await sink.stop();
      await database.drop();
    }
  }
  if (PARTS.includes("fanout")) {
    const fanout = (root: string | undefined, profile: string) =>
      measureFanout({
        root,
        followers: Number(process.env.BENCH_FOLLOWERS ?? 1000),
        hosts: Number(process.env.BENCH_HOSTS ?? 20),
        workers: [1, 2],
        lessons: FANOUT_LESSONS,
        nodeArgs: NODE_ARGS,
        cpuProfileDir: PROFILE_DIR ? join(PROFILE_DIR, profile) : undefined,
        log,
      });
    results.signatureCpuMs = await signatureCpuMs();
    if (BASELINE) results.fanoutBaseline = await fanout(BASELINE, "fanout-baseline");
    results.fanout = await fanout(undefined, "fanout");
  }
  results.load.end = load1();
  await publish(results);
}

async function publish(results: Results): Promise<void> {
  const table = renderTable(results);
  process.stdout.write(`${table}\n`);
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(markdownFile, `${table}\n`);
  if (DEFAULT_PARTS.every((p) => results.settings.parts.includes(p))) {
    await writeFile(readmeFile, replaceBlock(await readFile(readmeFile, "utf8"), table));
  }
}

await main();

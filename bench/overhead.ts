/**
 * Overhead benchmark: the fully instrumented service (OTel SDK exporting to a local OTLP sink,
 * prom-client, JSON logs, auth, rate limit, PostgreSQL) against a bare Hono route, same route shape
 * and body, alternating rounds in one session. Also /metrics scrape time and size with 50 routes x 20
 * tenants of series. Prints a table and writes bench/results.json.
 *
 * Both sides query the same PostgreSQL database (a fresh one on the server named by BENCH_DATABASE_URL
 * or TEST_DATABASE_URL, dropped afterwards): `eval "$(bash scripts/test-services.sh)" && npm run bench`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { arch, cpus, platform, totalmem } from "node:os";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { createMetrics } from "../src/platform/telemetry/metrics.ts";
import { createSchool } from "../test/support/api.ts";
import { createTestDatabase } from "../test/support/database.ts";
import { spawnServer } from "../test/support/spawn.ts";

const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);

interface RoundResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpuMicrosPerRequest: number;
  rssMb: number;
}

/** Accepts OTLP exports and discards them, so export cost on the service side is part of the run. */
async function startOtlpSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function cpuMicros(pid: number): Promise<number> {
  return import("node:fs/promises").then(async ({ readFile }) => {
    const stat = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(stat[11]) + Number(stat[12]);
    return (ticks / 100) * 1e6;
  });
}

async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function round(url: string, headers: Record<string, string>, pid: number): Promise<RoundResult> {
  const cpuBefore = await cpuMicros(pid);
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: ROUND_SECONDS });
  const cpuAfter = await cpuMicros(pid);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMicrosPerRequest: Math.round((cpuAfter - cpuBefore) / Math.max(1, result.requests.total)),
    rssMb: await rssMb(pid),
  };
}

const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function summarize(rounds: RoundResult[]) {
  return {
    requestsPerSecond: Math.round(median(rounds.map((r) => r.requestsPerSecond))),
    p50Ms: median(rounds.map((r) => r.p50)),
    p99Ms: median(rounds.map((r) => r.p99)),
    cpuMicrosPerRequest: median(rounds.map((r) => r.cpuMicrosPerRequest)),
    rssMb: Math.max(...rounds.map((r) => r.rssMb)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** Starts one of the comparison apps (bench/*-app.*), which print their port first. */
async function startApp(
  file: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, "line")) as [string];
  // Discard the rest unread: parsing the apps' logs here would load the machine being measured.
  lines.close();
  child.stdout?.resume();
  return { url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, child };
}

/** /metrics render time and size with 50 routes x 20 tenants of HTTP and business series. */
async function scrapeCost() {
  const metrics = createMetrics({ maxTenants: 100 });
  for (let r = 0; r < 50; r++) {
    for (let t = 0; t < 20; t++) {
      const labels = {
        method: "GET",
        route: `/api/v1/resource${r}/:id`,
        status_code: String(t % 4 === 0 ? 404 : 200),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe({
        labels,
        value: 0.004 * t,
        exemplarLabels: { trace_id: "0".repeat(32) },
      });
      metrics.domain.contentCreated(`tenant-${t}`, "lesson", "instructor");
    }
  }
  const timings: Record<string, { ms: number; bytes: number }> = {};
  for (const openMetrics of [false, true]) {
    await metrics.render(openMetrics);
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      bytes = (await metrics.render(openMetrics)).length;
      samples.push(performance.now() - start);
    }
    timings[openMetrics ? "openmetrics" : "text"] = { ms: Math.round(median(samples) * 100) / 100, bytes };
  }
  return timings;
}

/**
 * The instrumented service under load for SOAK_SECONDS, RSS after warm-up and at the end. Run with the
 * OTLP endpoint refusing connections (exporter queues must stay bounded) and, as the control, with a
 * working endpoint: the difference is what a dead Collector costs.
 */
async function soak(
  database: Awaited<ReturnType<typeof createTestDatabase>>,
  headers: Record<string, string>,
  otlpEndpoint: string,
) {
  const service = await spawnServer({
    database,
    discardLogsAfterStart: true,
    env: {
      OTEL_SDK_DISABLED: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      RATE_LIMIT_MAX: "1000000",
    },
  });
  const pid = service.process.pid as number;
  const url = `${service.url}/api/v1/courses?limit=20`;
  const warmup = Math.min(10, SOAK_SECONDS / 4);
  const first = await autocannon({ url, headers, connections: CONNECTIONS, duration: warmup });
  const rssStartMb = await rssMb(pid);
  const rest = await autocannon({ url, headers, connections: CONNECTIONS, duration: SOAK_SECONDS - warmup });
  const rssEndMb = await rssMb(pid);
  await service.stop();
  return {
    seconds: SOAK_SECONDS,
    rssStartMb,
    rssEndMb,
    requests: first.requests.total + rest.requests.total,
    errors: first.errors + first.non2xx + rest.errors + rest.non2xx,
  };
}

function soakLine(label: string, r: Awaited<ReturnType<typeof soak>>): string {
  const growth = signed(r.rssEndMb - r.rssStartMb);
  return `RSS, OTLP endpoint ${label}, ${r.seconds} s under load: ${r.rssStartMb} MB after warm-up → ${r.rssEndMb} MB (${growth} MB), ${r.requests} requests, ${r.errors} errors`;
}

async function main() {
  const sink = await startOtlpSink();
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('Set BENCH_DATABASE_URL or run: eval "$(bash scripts/test-services.sh)"');
  process.env.TEST_DATABASE_URL = databaseUrl;
  const database = await createTestDatabase();
  const service = await spawnServer({
    database,
    discardLogsAfterStart: true,
    env: {
      OTEL_SDK_DISABLED: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
      RATE_LIMIT_MAX: "1000000",
      DATABASE_POOL_MAX: "10",
      LOG_LEVEL: "info",
    },
  });
  const school = await createSchool(service.url, "bench");
  for (let i = 0; i < 20; i++)
    await school.instructor.post("/courses", { title: `Course ${i}`, course_type: "cohort" });
  const appEnv = {
    BENCH_DATABASE_URL: database.env.DATABASE_URL as string,
    BENCH_TOKEN: school.student.token as string,
    BENCH_TENANT_ID: school.tenantId,
  };
  const bare = await startApp("bench/bare-app.ts", appEnv);
  const seed = await startApp("bench/seed-app.cjs", { ...appEnv, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url });
  const headers = { "x-tenant-id": school.slug, authorization: `Bearer ${school.student.token}` };

  const full: RoundResult[] = [];
  const baseline: RoundResult[] = [];
  const seedRounds: RoundResult[] = [];
  const targets = [
    { rounds: baseline, url: `${bare.url}/api/v1/courses`, pid: bare.child.pid as number },
    { rounds: full, url: `${service.url}/api/v1/courses?limit=20`, pid: service.process.pid as number },
    { rounds: seedRounds, url: `${seed.url}/api/v1/courses`, pid: seed.child.pid as number },
  ];
  // Warm every app, then alternate so drift in machine load hits all sides alike.
  for (const target of targets) await round(target.url, headers, target.pid);
  for (let i = 0; i < ROUNDS; i++) {
    for (const target of targets) target.rounds.push(await round(target.url, headers, target.pid));
  }
  const scrape = await scrapeCost();
  const down = await soak(database, headers, "http://127.0.0.1:9");
  const up = await soak(database, headers, sink.url);
  const results = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`,
    database: "PostgreSQL (same database for both)",
    settings: { roundSeconds: ROUND_SECONDS, rounds: ROUNDS, connections: CONNECTIONS },
    bareHono: summarize(baseline),
    instrumented: summarize(full),
    seedStyle: summarize(seedRounds),
    ratio: 0,
    p99Ratio: 0,
    vsSeed: 0,
    metricsScrape: scrape,
    soak: { collectorDown: down, collectorUp: up },
  };
  results.ratio =
    Math.round((results.instrumented.requestsPerSecond / results.bareHono.requestsPerSecond) * 100) / 100;
  results.p99Ratio =
    Math.round((results.instrumented.p99Ms / Math.max(1, results.bareHono.p99Ms)) * 100) / 100;
  results.vsSeed =
    Math.round((results.instrumented.requestsPerSecond / results.seedStyle.requestsPerSecond) * 100) / 100;

  const table = [
    "| | req/s | p50 ms | p99 ms | CPU µs/req | RSS MB | errors |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...(
      [
        ["bareHono", "bare Hono + postgres.js"],
        ["instrumented", "FediFlow, fully instrumented"],
        ["seedStyle", "seed-style Express + prom-client + OTel auto-instrumentation"],
      ] as const
    ).map(([key, label]) => {
      const r = results[key];
      return `| ${label} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuMicrosPerRequest} | ${r.rssMb} | ${r.errors} |`;
    }),
    "",
    `throughput ratio instrumented/bare: **${results.ratio}**, p99 ratio: ${results.p99Ratio}, instrumented/seed-style: ${results.vsSeed}`,
    `/metrics (50 routes x 20 tenants): text ${scrape.text?.ms} ms / ${scrape.text?.bytes} bytes, OpenMetrics ${scrape.openmetrics?.ms} ms / ${scrape.openmetrics?.bytes} bytes`,
    soakLine("down", down),
    soakLine("up (control)", up),
    `machine: ${results.machine}; database: ${results.database}`,
  ].join("\n");
  console.log(table);
  await writeFile(new URL("./results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(new URL("./results.md", import.meta.url), `${table}\n`);

  bare.child.kill("SIGTERM");
  seed.child.kill("SIGTERM");
  await service.stop();
  await database.drop();
  sink.server.close();
}

await main();

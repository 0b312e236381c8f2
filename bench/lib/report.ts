/**
 * The benchmark's arithmetic and its one table: medians of the rounds, the ratios issue 18 asks for
 * with their goals, and the Markdown written to bench/results.md and README.md. Pure functions of
 * bench/results.json, so the table can be re-rendered from a results file (`node bench/run.ts --render`).
 */
import type { RoundResult } from "./measure.ts";

/** The servers measured on the read route, in table order. */
const TARGETS = {
  off: "FediFlow, Node, telemetry off",
  on: "FediFlow, Node, telemetry on",
  bareNode: "bare Hono + postgres.js, Node",
  bunOn: "FediFlow, Bun, telemetry on",
  bareBun: "bare Hono + postgres.js, Bun",
  embedded: "FediFlow, Node, telemetry on, embedded PGlite + in-process cache (`npm start` default)",
  seed: "seed-style Express + node-postgres + OTel auto-instrumentation + winston, Node",
  noTraces: "FediFlow, Node, telemetry on but no traces (`OTEL_TRACES_EXPORTER=none`)",
  noOtlpLogs: "FediFlow, Node, telemetry on but no OTLP logs (`OTEL_LOGS_EXPORTER=none`)",
  noAccessLog: "FediFlow, Node, telemetry on but no access log (`LOG_LEVEL=warning`)",
  baseOff: "baseline tree, Node, telemetry off",
  baseOn: "baseline tree, Node, telemetry on",
} as const;
export type TargetKey = keyof typeof TARGETS;

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  rssUnderLoadMb: number;
  errors: number;
  rounds: number;
  /** Median 1-minute load average at the end of the rounds. */
  load: number;
  /** CPU µs per request of each round, in the order measured (pairs with another target's rounds). */
  cpuMicrosPerRound?: number[];
}

export interface TargetResult extends LoadFigures {
  /** RSS after start-up, seeding and a full GC, before any load (Node targets only). */
  restMb?: number;
  restHeapUsedMb?: number;
  /** RSS after the rounds and a full GC. */
  afterLoadMb?: number;
}

export interface FanoutResult {
  workers: number;
  followers: number;
  hosts: number;
  deliveries: number;
  deliveriesPerSecond: number;
  latencyMs: { first: number; p50: number; p95: number; max: number };
  lost: number;
  duplicated: number;
  /** Largest RSS of any worker process during the fan-out. */
  peakRssMb: number;
  /** CPU time of the worker processes (user + system) per delivery: comparable on a busy machine. */
  workerCpuMsPerDelivery: number;
  /** The machine's CPU per delivery by process (absent in results written before it was measured). */
  cpuMsPerDelivery?: FanoutCpu;
  /**
   * Deliveries per second the machine's cores could carry if the fan-out kept them all busy:
   * cores × 1000 / machine CPU ms per delivery. A measured rate near it means the fan-out is CPU-bound.
   */
  cpuBoundCeilingPerSecond?: number;
  /** TCP connections the inbox servers accepted during the measured lesson (reuse: far fewer than deliveries). */
  connectionsOpened?: number;
  /** Every measured lesson of this worker count, in order, when more than one was (medianLesson). */
  lessons?: { deliveriesPerSecond: number[]; p95Ms: number[] };
  load: number;
}

/** CPU time per delivery of a measured fan-out, in ms, by who spent it (/proc: user + system). */
export interface FanoutCpu {
  workers: number;
  web: number;
  /** The benchmark's process: the loopback inbox servers (parsing each delivery) and its polling. */
  inboxServers: number;
  /** The machine's busy time not spent by the processes above: PostgreSQL, mostly. */
  rest: number;
  machine: number;
}

/** RSS of a telemetry-on server under constant load, with the OTLP endpoint refusing connections or working. */
export interface SoakResult {
  seconds: number;
  rssAfterWarmupMb: number;
  rssEndMb: number;
  requests: number;
  errors: number;
}

export interface Results {
  date: string;
  machine: string;
  settings: {
    roundSeconds: number;
    rounds: number;
    connections: number;
    parts: string[];
    nodeArgs?: string[];
  };
  load: { start: number; end: number };
  http: Partial<Record<TargetKey, TargetResult>>;
  fanout: FanoutResult[];
  /** What BENCH_BASELINE named: another tree measured in the same run (targets baseOn/baseOff). */
  baseline?: string;
  /** The baseline tree's fan-out, measured just before this tree's. */
  fanoutBaseline?: FanoutResult[];
  /** CPU ms of one RSA-2048 signature through WebCrypto on this machine (bench/lib/fanout.ts). */
  signatureCpuMs?: number;
  soak?: { collectorDown: SoakResult; collectorUp: SoakResult };
  /** The read route inside one process per setting, `app.request()` (bench/lib/in-process.ts). */
  inProcess?: {
    requestsPerRound: number;
    roundsPerProcess: number;
    cycles: number;
    /** CPU µs per request of every round, cycle by cycle, in the order measured. */
    cpuMicrosPerRequest: Partial<Record<TargetKey, number[]>>;
  };
  /** The telemetry servers again, every one at the same request rate, below saturation (bench/run.ts). */
  fixedRate?: { requestsPerSecond: number; http: Partial<Record<TargetKey, LoadFigures>> };
  /** /metrics render time and size with 50 routes x 20 tenants (bench/lib/scrape.ts). */
  metricsScrape?: { text: { ms: number; bytes: number }; openMetrics: { ms: number; bytes: number } };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** The rounds of one target as one line: medians (throughput, latency, CPU, load), the peak RSS, all errors. */
export function summarize(rounds: RoundResult[]): LoadFigures {
  if (rounds.length === 0) throw new Error("no rounds to summarize");
  return {
    requestsPerSecond: Math.round(median(rounds.map((r) => r.requestsPerSecond))),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    cpuMicrosPerRequest: Math.round(median(rounds.map((r) => r.cpuMicrosPerRequest))),
    rssUnderLoadMb: Math.max(...rounds.map((r) => r.rssMb)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rounds: rounds.length,
    load: Math.round(median(rounds.map((r) => r.load)) * 100) / 100,
    cpuMicrosPerRound: rounds.map((r) => r.cpuMicrosPerRequest),
  };
}

/**
 * The lessons of one worker count as one result: the lesson with the median deliveries/s (a real
 * lesson, not a mix of several), with every lesson's deliveries/s and p95 beside it, the losses and
 * duplicates of all lessons summed (one lost delivery anywhere must show) and the highest peak RSS.
 * Throws for no lessons.
 */
export function medianLesson(lessons: FanoutResult[]): FanoutResult {
  if (lessons.length === 0) throw new Error("no lesson measured");
  const byRate = [...lessons].sort((a, b) => a.deliveriesPerSecond - b.deliveriesPerSecond);
  const median = byRate[Math.floor((byRate.length - 1) / 2)] as FanoutResult;
  return {
    ...median,
    lost: lessons.reduce((sum, l) => sum + l.lost, 0),
    duplicated: lessons.reduce((sum, l) => sum + l.duplicated, 0),
    peakRssMb: Math.max(...lessons.map((l) => l.peakRssMb)),
    lessons: {
      deliveriesPerSecond: lessons.map((l) => l.deliveriesPerSecond),
      p95Ms: lessons.map((l) => l.latencyMs.p95),
    },
  };
}

export interface Figure {
  name: string;
  value: number | undefined;
  unit: "×" | "MB" | "/s" | "ms" | "";
  goal?: { op: ">=" | "<="; target: number };
  /** Lowest and highest value round by round (see roundRatios), or lesson by lesson for the fan-out. */
  range?: [number, number];
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * 100) / 100;

/**
 * The CPU-per-request ratio of two targets round by round — round i of one against round i of the
 * other, measured a few seconds apart in the same alternation — as [lowest, highest]. The machine's
 * speed drifts between rounds; the spread says how far one run's ratio of medians can be trusted.
 */
function roundRatios(a: CpuFigures | undefined, b: CpuFigures | undefined): [number, number] | undefined {
  const x = a?.cpuMicrosPerRound;
  const y = b?.cpuMicrosPerRound;
  if (!x || !y || x.length === 0 || x.length !== y.length) return undefined;
  const ratios = x.map((value, i) => ratio(value, y[i])).filter((r): r is number => r !== undefined);
  return ratios.length === x.length ? [Math.min(...ratios), Math.max(...ratios)] : undefined;
}

type CpuFigures = Pick<LoadFigures, "cpuMicrosPerRequest" | "cpuMicrosPerRound">;

/** A CPU-per-request ratio of two targets with its round-by-round spread. */
const cpuRatio = (
  name: string,
  a: CpuFigures | undefined,
  b: CpuFigures | undefined,
  goal?: Figure["goal"],
): Figure => ({
  name,
  value: ratio(a?.cpuMicrosPerRequest, b?.cpuMicrosPerRequest),
  unit: "×",
  range: roundRatios(a, b),
  ...(goal ? { goal } : {}),
});
/** One in-process setting: the median of all its rounds, and the rounds to pair with another's. */
function inProcessFigures(results: Results, key: TargetKey): CpuFigures | undefined {
  const rounds = results.inProcess?.cpuMicrosPerRequest[key];
  return rounds?.length
    ? { cpuMicrosPerRequest: Math.round(median(rounds)), cpuMicrosPerRound: rounds }
    : undefined;
}

/**
 * In process: telemetry on against off, and what each signal costs (on against on without it), each
 * with its round-by-round spread: on a noisy machine a difference of medians alone can even come out
 * negative.
 */
function inProcessFiguresList(results: Results): Figure[] {
  const on = inProcessFigures(results, "on");
  const against = (name: string, other: TargetKey) => cpuRatio(name, on, inProcessFigures(results, other));
  return [
    against("in process: telemetry on / off, CPU per request", "off"),
    against("in process: cost of traces, CPU per request", "noTraces"),
    against("in process: cost of OTLP log export, CPU per request", "noOtlpLogs"),
    against("in process: cost of the access log line, CPU per request", "noAccessLog"),
  ];
}

/** Lowest and highest of several measurements (fan-out lessons); none for fewer than two. */
const spread = (values: number[] | undefined): [number, number] | undefined =>
  values && values.length > 1 ? [Math.min(...values), Math.max(...values)] : undefined;

/** The ratios and absolute figures the issue sets goals for, computed from one run. */
export function figures(results: Results): Figure[] {
  const { off, on, bareNode, bunOn, bareBun, embedded } = results.http;
  const fixed = results.fixedRate?.http;
  const one = results.fanout.find((f) => f.workers === 1);
  const two = results.fanout.find((f) => f.workers === 2);
  return [
    {
      name: "telemetry on / off, req/s",
      value: ratio(on?.requestsPerSecond, off?.requestsPerSecond),
      unit: "×",
      goal: { op: ">=", target: 0.85 },
    },
    cpuRatio("telemetry on / off, CPU per request", on, off, { op: "<=", target: 1.2 }),
    cpuRatio("telemetry on / off, CPU per request at a fixed rate", fixed?.on, fixed?.off, {
      op: "<=",
      target: 1.2,
    }),
    {
      name: "telemetry on / off, RSS under load",
      value: ratio(on?.rssUnderLoadMb, off?.rssUnderLoadMb),
      unit: "×",
    },
    {
      name: "RSS at rest, telemetry on, PostgreSQL",
      value: on?.restMb,
      unit: "MB",
      goal: { op: "<=", target: 120 },
    },
    {
      name: "RSS under load, telemetry on, PostgreSQL",
      value: on?.rssUnderLoadMb,
      unit: "MB",
      goal: { op: "<=", target: 200 },
    },
    {
      name: "instrumented / bare Hono, Node, req/s",
      value: ratio(on?.requestsPerSecond, bareNode?.requestsPerSecond),
      unit: "×",
      goal: { op: ">=", target: 0.7 },
    },
    {
      name: "instrumented / bare Hono, Bun, req/s",
      value: ratio(bunOn?.requestsPerSecond, bareBun?.requestsPerSecond),
      unit: "×",
      goal: { op: ">=", target: 0.7 },
    },
    {
      name: "Bun / Node, instrumented req/s",
      value: ratio(bunOn?.requestsPerSecond, on?.requestsPerSecond),
      unit: "×",
    },
    {
      name: "Bun / Node, bare req/s",
      value: ratio(bareBun?.requestsPerSecond, bareNode?.requestsPerSecond),
      unit: "×",
    },
    {
      name: "embedded / PostgreSQL, req/s",
      value: ratio(embedded?.requestsPerSecond, on?.requestsPerSecond),
      unit: "×",
    },
    cpuRatio("cost of traces, CPU per request", on, results.http.noTraces),
    cpuRatio("cost of OTLP log export, CPU per request", on, results.http.noOtlpLogs),
    cpuRatio("cost of the access log line, CPU per request", on, results.http.noAccessLog),
    ...inProcessFiguresList(results),
    ...[one, two].flatMap((f, i): Figure[] => {
      const workers = i === 0 ? "1 worker" : "2 workers";
      return [
        {
          name: `fan-out, ${workers}, deliveries/s`,
          value: f?.deliveriesPerSecond,
          range: spread(f?.lessons?.deliveriesPerSecond),
          unit: "/s",
          goal: { op: ">=", target: 1000 },
        },
        {
          name: `fan-out, ${workers}, p95`,
          value: f?.latencyMs.p95,
          range: spread(f?.lessons?.p95Ms),
          unit: "ms",
          goal: { op: "<=", target: 2000 },
        },
        {
          name: `fan-out, ${workers}, lost + duplicated`,
          value: f ? f.lost + f.duplicated : undefined,
          unit: "",
          goal: { op: "<=", target: 0 },
        },
      ];
    }),
    {
      name: "fan-out, 1 worker, deliveries/s / the machine's CPU-bound ceiling",
      value: ratio(one?.deliveriesPerSecond, one?.cpuBoundCeilingPerSecond),
      unit: "×",
    },
    {
      name: "fan-out, 2 workers / 1 worker, deliveries/s",
      value: ratio(two?.deliveriesPerSecond, one?.deliveriesPerSecond),
      unit: "×",
    },
    ...baselineFigures(results),
  ];
}

/** This tree against the baseline tree of the same run (BENCH_BASELINE). */
function baselineFigures(results: Results): Figure[] {
  const { on, off, baseOn, baseOff } = results.http;
  const fixed = results.fixedRate?.http;
  const fanout = (workers: number) => ({
    now: results.fanout.find((f) => f.workers === workers),
    before: results.fanoutBaseline?.find((f) => f.workers === workers),
  });
  return [
    cpuRatio("baseline: telemetry on / off, CPU per request", baseOn, baseOff),
    cpuRatio("baseline: telemetry on / off, CPU per request at a fixed rate", fixed?.baseOn, fixed?.baseOff),
    cpuRatio("this tree / baseline, CPU per request, telemetry on", on, baseOn),
    cpuRatio("this tree / baseline, CPU per request at a fixed rate, telemetry on", fixed?.on, fixed?.baseOn),
    cpuRatio("this tree / baseline, CPU per request, telemetry off", off, baseOff),
    ...[1, 2].map(
      (workers): Figure => ({
        name: `this tree / baseline, fan-out deliveries/s, ${workers} worker${workers === 1 ? "" : "s"}`,
        value: ratio(fanout(workers).now?.deliveriesPerSecond, fanout(workers).before?.deliveriesPerSecond),
        unit: "×",
      }),
    ),
  ];
}

/** Whether a figure meets its goal; undefined when it has no goal or was not measured. */
export function meets(figure: Figure): boolean | undefined {
  if (!figure.goal || figure.value === undefined) return undefined;
  return figure.goal.op === ">=" ? figure.value >= figure.goal.target : figure.value <= figure.goal.target;
}

const cell = (value: number | undefined, unit = ""): string =>
  value === undefined ? "—" : `${value}${unit === "×" ? "×" : unit ? ` ${unit}` : ""}`;

/**
 * Pads a Markdown table's columns to one width (as the repository's formatter, Biome, writes tables),
 * right-aligned where the separator says `---:`. Width counts code points.
 */
function aligned(rows: string[][]): string[] {
  // rows[1] is the separator row.
  const width = (text: string) => [...text].length;
  const right = (rows[1] ?? []).map((cell) => cell.endsWith(":"));
  const widths = (rows[0] ?? []).map((_, c) =>
    Math.max(3, ...rows.filter((_, r) => r !== 1).map((row) => width(row[c] ?? ""))),
  );
  return rows.map((row, r) => {
    const cells = row.map((cell, c) => {
      const w = widths[c] as number;
      if (r === 1) return right[c] ? `${"-".repeat(w - 1)}:` : "-".repeat(w);
      const pad = " ".repeat(w - width(cell));
      return right[c] ? pad + cell : cell + pad;
    });
    return `| ${cells.join(" | ")} |`;
  });
}

/** The whole result as Markdown: servers, fan-out, then every ratio with its goal. */
export function renderTable(results: Results): string {
  const lines: string[] = [];
  if (Object.keys(results.http).length > 0)
    lines.push(
      "| read route, 32 connections | req/s | p50 ms | p99 ms | CPU µs/req | RSS under load MB | RSS at rest MB (heap) | RSS after load MB | errors | load avg |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
  for (const [key, label] of Object.entries(TARGETS) as [TargetKey, string][]) {
    const r = results.http[key];
    if (!r) continue;
    const rest = r.restMb === undefined ? "—" : `${r.restMb} (${r.restHeapUsedMb ?? "?"})`;
    lines.push(
      `| ${label} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuMicrosPerRequest} | ${r.rssUnderLoadMb} | ${rest} | ${cell(r.afterLoadMb)} | ${r.errors} | ${r.load} |`,
    );
  }
  if (results.fixedRate) {
    const { requestsPerSecond: rate, http } = results.fixedRate;
    lines.push(
      "",
      `| read route at a fixed ${rate} req/s | req/s | p50 ms | p99 ms | CPU µs/req | errors | load avg |`,
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const [key, label] of Object.entries(TARGETS) as [TargetKey, string][]) {
      const r = http[key];
      if (r)
        lines.push(
          `| ${label} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuMicrosPerRequest} | ${r.errors} | ${r.load} |`,
        );
    }
  }
  if (results.inProcess) {
    const { requestsPerRound, roundsPerProcess, cycles } = results.inProcess;
    lines.push(
      "",
      `| in process (\`app.request\`), ${cycles} × ${roundsPerProcess} rounds of ${requestsPerRound} requests | CPU µs/req | lowest | highest |`,
      "| --- | ---: | ---: | ---: |",
    );
    for (const [key, label] of Object.entries(TARGETS) as [TargetKey, string][]) {
      const figures = inProcessFigures(results, key);
      const rounds = figures?.cpuMicrosPerRound;
      if (figures && rounds)
        lines.push(
          `| ${label} | ${figures.cpuMicrosPerRequest} | ${Math.min(...rounds)} | ${Math.max(...rounds)} |`,
        );
    }
  }
  if (results.fanout.length > 0 || results.fanoutBaseline?.length) {
    lines.push(
      "",
      "| fan-out: 1 activity, distinct inboxes | deliveries/s | first ms | p50 ms | p95 ms | max ms | lost | duplicated | worker CPU ms/delivery | peak RSS MB | load avg |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    const rows = [
      ...(results.fanoutBaseline ?? []).map((f) => ({ f, tree: "baseline tree, " })),
      ...results.fanout.map((f) => ({ f, tree: "" })),
    ];
    const labelOf = ({ f, tree }: (typeof rows)[number]) =>
      `${tree}${f.followers} followers on ${f.hosts} hosts, ${f.workers} worker process${f.workers === 1 ? "" : "es"}`;
    for (const row of rows) {
      const { f } = row;
      lines.push(
        `| ${labelOf(row)} | ${f.deliveriesPerSecond} | ${f.latencyMs.first} | ${f.latencyMs.p50} | ${f.latencyMs.p95} | ${f.latencyMs.max} | ${f.lost} | ${f.duplicated} | ${f.workerCpuMsPerDelivery} | ${f.peakRssMb} | ${f.load} |`,
      );
    }
    const withCpu = rows.filter(({ f }) => f.cpuMsPerDelivery);
    if (withCpu.length > 0) {
      lines.push(
        "",
        "| fan-out: the machine's CPU ms per delivery | workers | web | inbox servers | PostgreSQL and the rest | machine | CPU-bound ceiling, deliveries/s | new connections |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      );
      for (const row of withCpu) {
        const { f } = row;
        const c = f.cpuMsPerDelivery as FanoutCpu;
        lines.push(
          `| ${labelOf(row)} | ${c.workers} | ${c.web} | ${c.inboxServers} | ${c.rest} | ${c.machine} | ${f.cpuBoundCeilingPerSecond ?? "—"} | ${f.connectionsOpened ?? "—"} |`,
        );
      }
    }
  }
  if (results.signatureCpuMs !== undefined)
    lines.push(
      "",
      `One RSA-2048 signature (WebCrypto, SHA-256, one after another): ${results.signatureCpuMs} ms of CPU; every delivery to a distinct inbox needs its own, so 1,000 deliveries/s spend ${results.signatureCpuMs} s of CPU per second on signatures alone.`,
    );
  const measured = figures(results).filter((f) => f.value !== undefined);
  if (measured.length > 0) {
    lines.push(
      "",
      "| figure | value | round by round, lesson by lesson | goal | met |",
      "| --- | ---: | ---: | ---: | --- |",
    );
    for (const f of measured) {
      const goal = f.goal ? `${f.goal.op === ">=" ? "≥" : "≤"} ${cell(f.goal.target, f.unit)}` : "";
      const met = meets(f);
      lines.push(
        `| ${f.name} | ${cell(f.value, f.unit)} | ${f.range ? `${f.range[0]}–${f.range[1]}` : ""} | ${goal} | ${met === undefined ? "" : met ? "yes" : "**no**"} |`,
      );
    }
  }
  if (results.metricsScrape) {
    const { text, openMetrics } = results.metricsScrape;
    lines.push(
      "",
      `/metrics with 50 routes x 20 tenants: text ${text.ms} ms / ${text.bytes} bytes, OpenMetrics with exemplars ${openMetrics.ms} ms / ${openMetrics.bytes} bytes per scrape`,
    );
  }
  if (results.soak) {
    lines.push("");
    for (const [label, r] of [
      ["down", results.soak.collectorDown],
      ["up (control)", results.soak.collectorUp],
    ] as const) {
      lines.push(
        `RSS with the OTLP endpoint ${label}, ${r.seconds} s under load: ${r.rssAfterWarmupMb} MB after warm-up → ${r.rssEndMb} MB, ${r.requests} requests, ${r.errors} errors`,
        "",
      );
    }
  }
  const { settings } = results;
  lines.push(
    "",
    `${settings.rounds} alternating rounds of ${settings.roundSeconds} s per server (medians; RSS under load is the peak), ${settings.connections} connections; ` +
      `load average ${results.load.start} at start, ${results.load.end} at end; ${results.date.slice(0, 16).replace("T", " ")} UTC` +
      (settings.nodeArgs ? `; FediFlow on Node started with \`${settings.nodeArgs.join(" ")}\`` : ""),
    `machine: ${results.machine}`,
  );
  if (results.baseline) lines.push(`baseline tree (BENCH_BASELINE): ${results.baseline}`);
  // Each run of table rows is aligned as one table.
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]?.startsWith("|")) {
      out.push(lines[i++] as string);
      continue;
    }
    const rows: string[][] = [];
    while (lines[i]?.startsWith("|")) rows.push((lines[i++] as string).slice(2, -2).split(" | "));
    out.push(...aligned(rows));
  }
  return out.join("\n");
}

/** Replaces the text between `<!-- bench:start -->` and `<!-- bench:end -->` (the markers stay). */
export function replaceBlock(document: string, block: string): string {
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from === -1 || to < from)
    throw new Error("README.md has no <!-- bench:start --> … <!-- bench:end --> block");
  return `${document.slice(0, from + start.length)}\n${block}\n${document.slice(to)}`;
}

/**
 * What the benchmark reads about a process (Linux /proc) and how one load round is driven (autocannon).
 * CPU is the process's user + system time, so the figure per request is what the server spent,
 * whatever else runs on the machine; the load average is recorded beside every round because on a
 * shared machine throughput is only comparable within one run.
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import autocannon from "autocannon";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux this runs on). */
const USER_HZ = 100;

/** User + system CPU time the process has used so far, in microseconds. */
export async function cpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at state = field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1e6;
}

/**
 * CPU time the whole machine has been busy so far, all cores together, in microseconds: every field of
 * /proc/stat's `cpu` line but idle and iowait (user, nice, system, irq, softirq, steal; proc(5)).
 */
export async function machineBusyMicros(): Promise<number> {
  const stat = await readFile("/proc/stat", "utf8");
  const [user, nice, system, , , irq, softirq, steal] = (stat.split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
  return (busy / USER_HZ) * 1e6;
}

/** Resident set size in MiB (VmRSS), or VmHWM: the peak since the process started. */
export async function rssMb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return Math.round(kib / 1024);
}

/** The 1-minute load average, rounded to two decimals. */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export interface RoundResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuMicrosPerRequest: number;
  /** Largest RSS sampled during the round (every 250 ms). */
  rssMb: number;
  /** 1-minute load average at the end of the round. */
  load: number;
}

export interface RoundOptions {
  url: string;
  headers: Record<string, string>;
  pid: number;
  connections: number;
  seconds: number;
  /** Called once in the middle of the round (a /metrics scrape, as Prometheus would). */
  during?: () => Promise<unknown>;
  /**
   * Requests per second from all connections together (autocannon's `overallRate`); unset: as fast as
   * the server answers. Below saturation every server gets the same work in the same rhythm, so CPU
   * per request compares without the batching a saturated server gains (more requests per event-loop
   * turn and per syscall the faster it is).
   */
  rate?: number;
}

/** One load round against one server: `connections` kept-alive clients for `seconds`. */
export async function round(options: RoundOptions): Promise<RoundResult> {
  const { pid } = options;
  let peak = await rssMb(pid);
  const sampler = setInterval(() => {
    rssMb(pid).then(
      (mb) => {
        peak = Math.max(peak, mb);
      },
      () => {},
    );
  }, 250);
  const midway = options.during
    ? setTimeout(() => void options.during?.().catch(() => {}), (options.seconds * 1000) / 2)
    : undefined;
  const cpuBefore = await cpuMicros(pid);
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
  });
  const cpuAfter = await cpuMicros(pid);
  clearInterval(sampler);
  clearTimeout(midway);
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    cpuMicrosPerRequest: Math.round((cpuAfter - cpuBefore) / Math.max(1, result.requests.total)),
    rssMb: Math.max(peak, await rssMb(pid)),
    load: load1(),
  };
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { machineBusyMicros, type RoundResult } from "../../bench/lib/measure.ts";
import {
  type Figure,
  figures,
  medianLesson,
  meets,
  type Results,
  renderTable,
  replaceBlock,
  summarize,
} from "../../bench/lib/report.ts";

const round = (requestsPerSecond: number, cpu: number, rss: number, errors = 0): RoundResult => ({
  requests: requestsPerSecond * 5,
  requestsPerSecond,
  p50Ms: requestsPerSecond / 100,
  p99Ms: requestsPerSecond / 10,
  errors,
  cpuMicrosPerRequest: cpu,
  rssMb: rss,
  load: 2,
});

test("summarize takes medians of the rounds, the peak RSS and the sum of errors", () => {
  const s = summarize([round(1000, 800, 150), round(900, 1000, 170, 2), round(1100, 700, 160, 1)]);
  assert.equal(s.requestsPerSecond, 1000);
  assert.equal(s.cpuMicrosPerRequest, 800);
  assert.equal(s.p99Ms, 100);
  assert.equal(s.rssUnderLoadMb, 170);
  assert.equal(s.errors, 3);
  assert.equal(s.rounds, 3);
  // An even number of rounds: the mean of the middle two.
  assert.equal(summarize([round(1000, 800, 1), round(901, 900, 1)]).requestsPerSecond, 951);
  assert.throws(() => summarize([]));
});

function results(): Results {
  const line = (requestsPerSecond: number, cpuMicrosPerRequest: number, rssUnderLoadMb: number) => ({
    requestsPerSecond,
    p50Ms: 10,
    p99Ms: 30,
    cpuMicrosPerRequest,
    rssUnderLoadMb,
    errors: 0,
    rounds: 3,
    load: 1.5,
  });
  return {
    date: "2026-12-01T10:00:00.000Z",
    machine: "2 x test cpu",
    settings: { roundSeconds: 5, rounds: 3, connections: 32, parts: ["telemetry", "runtimes"] },
    load: { start: 1, end: 2 },
    http: {
      off: { ...line(1134, 813, 451), restMb: 110, restHeapUsedMb: 40, cpuMicrosPerRound: [813, 700, 900] },
      on: {
        ...line(755, 1352, 462),
        restMb: 130,
        restHeapUsedMb: 45,
        afterLoadMb: 190,
        cpuMicrosPerRound: [1352, 1400, 1300],
      },
      bareNode: line(1425, 500, 90),
    },
    fanout: [
      {
        workers: 1,
        followers: 1000,
        hosts: 20,
        deliveries: 1001,
        deliveriesPerSecond: 1200,
        latencyMs: { first: 100, p50: 500, p95: 900, max: 1000 },
        lost: 0,
        duplicated: 1,
        peakRssMb: 180,
        workerCpuMsPerDelivery: 1.5,
        load: 3,
      },
    ],
  };
}

test("the issue's ratios, rounded to two decimals, each judged against its goal", () => {
  const byName = new Map(figures(results()).map((f) => [f.name, f]));
  const tax = byName.get("telemetry on / off, req/s");
  assert.equal(tax?.value, 0.67); // 755 / 1134 = 0.6658
  assert.equal(meets(tax as NonNullable<typeof tax>), false);
  const cpu = byName.get("telemetry on / off, CPU per request");
  assert.equal(cpu?.value, 1.66); // 1352 / 813 = 1.663
  assert.equal(meets(cpu as NonNullable<typeof cpu>), false);
  // Round by round: 1352/813, 1400/700, 1300/900.
  assert.deepEqual(cpu?.range, [1.44, 2]);
  // Rounds that do not pair up (bare Hono has none recorded) give no spread.
  assert.equal(byName.get("instrumented / bare Hono, Node, req/s")?.range, undefined);
  assert.equal(byName.get("instrumented / bare Hono, Node, req/s")?.value, 0.53); // 755 / 1425
  const rest = byName.get("RSS at rest, telemetry on, PostgreSQL");
  assert.equal(rest?.value, 130);
  assert.equal(meets(rest as NonNullable<typeof rest>), false);
  const rate = byName.get("fan-out, 1 worker, deliveries/s");
  assert.equal(meets(rate as NonNullable<typeof rate>), true);
  // One duplicate fails "0 lost, 0 duplicated".
  const exact = byName.get("fan-out, 1 worker, lost + duplicated");
  assert.equal(exact?.value, 1);
  assert.equal(meets(exact as NonNullable<typeof exact>), false);
  // What was not measured has no value and is not judged.
  const bun = byName.get("Bun / Node, instrumented req/s");
  assert.equal(bun?.value, undefined);
  assert.equal(meets(bun as NonNullable<typeof bun>), undefined);
  assert.equal(byName.get("fan-out, 2 workers / 1 worker, deliveries/s")?.value, undefined);
});

test("the table has a row per measured server and fan-out, only measured figures, aligned columns", () => {
  const table = renderTable(results());
  const cells = (line: string) => line.split("|").map((cell) => cell.trim());
  const row = (start: string) => cells(table.split("\n").find((line) => line.startsWith(`| ${start}`)) ?? "");
  assert.deepEqual(row("FediFlow, Node, telemetry on "), [
    "",
    "FediFlow, Node, telemetry on",
    "755",
    "10",
    "30",
    "1352",
    "462",
    "130 (45)",
    "190",
    "0",
    "1.5",
    "",
  ]);
  assert.deepEqual(row("telemetry on / off, req/s"), [
    "",
    "telemetry on / off, req/s",
    "0.67×",
    "",
    "≥ 0.85×",
    "**no**",
    "",
  ]);
  assert.deepEqual(row("telemetry on / off, CPU per request ").slice(2, 4), ["1.66×", "1.44–2"]);
  assert.deepEqual(row("fan-out, 1 worker, deliveries/s"), [
    "",
    "fan-out, 1 worker, deliveries/s",
    "1200 /s",
    "",
    "≥ 1000 /s",
    "yes",
    "",
  ]);
  assert.deepEqual(row("1000 followers").slice(1, -1), [
    "1000 followers on 20 hosts, 1 worker process",
    "1200",
    "100",
    "500",
    "900",
    "1000",
    "0",
    "1",
    "1.5",
    "180",
    "3",
  ]);
  assert.doesNotMatch(table, /Bun/);
  assert.match(table, /load average 1 at start, 2 at end/);
  // Every row of a table is as long as its header (what the repository's formatter writes).
  for (const block of table.split("\n\n").map((b) => b.split("\n").filter((l) => l.startsWith("|")))) {
    const widths = new Set(block.map((line) => [...line].length));
    assert.ok(widths.size <= 1, `one width per table: ${[...widths]}`);
  }
});

test("fixed-rate rounds: their own table and the CPU ratio at one rate, judged against the goal", () => {
  const fixed = (cpuMicrosPerRequest: number) => summarize([round(400, cpuMicrosPerRequest, 150)]);
  const measured: Results = {
    ...results(),
    fixedRate: { requestsPerSecond: 400, http: { on: fixed(1100), off: fixed(1000) } },
  };
  const byName = new Map(figures(measured).map((f) => [f.name, f]));
  const atRate = byName.get("telemetry on / off, CPU per request at a fixed rate");
  assert.equal(atRate?.value, 1.1);
  assert.equal(meets(atRate as NonNullable<typeof atRate>), true);
  // Saturated, the same servers' ratio is still judged on its own.
  assert.equal(byName.get("telemetry on / off, CPU per request")?.value, 1.66);
  const table = renderTable(measured);
  assert.match(table, /\| read route at a fixed 400 req\/s +\| req\/s/);
  const onRows = table.split("\n").filter((line) => line.startsWith("| FediFlow, Node, telemetry on "));
  assert.equal(onRows.length, 2, "one row under load, one at the fixed rate");
  assert.deepEqual(
    onRows[1]
      ?.split("|")
      .map((cell) => cell.trim())
      .slice(1, -1),
    ["FediFlow, Node, telemetry on", "400", "4", "40", "1100", "0", "2"],
  );
  // Without fixed-rate rounds the figure is not measured, so not shown.
  assert.doesNotMatch(renderTable(results()), /fixed/);
});

test("in process: medians of every round, the on/off ratio and each signal's cost, with their spread", () => {
  const measured: Results = {
    ...results(),
    inProcess: {
      requestsPerRound: 3000,
      roundsPerProcess: 2,
      cycles: 1,
      cpuMicrosPerRequest: { off: [300, 320], on: [420, 400], noTraces: [360, 370], noAccessLog: [350, 340] },
    },
  };
  const byName = new Map(figures(measured).map((f) => [f.name, f]));
  const ratio = byName.get("in process: telemetry on / off, CPU per request");
  assert.equal(ratio?.value, 1.32); // 410 / 310
  assert.deepEqual(ratio?.range, [1.25, 1.4]); // 400 / 320, 420 / 300
  const traces = byName.get("in process: cost of traces, CPU per request");
  assert.equal(traces?.value, 1.12); // 410 / 365
  assert.deepEqual(traces?.range, [1.08, 1.17]); // 400 / 370, 420 / 360
  assert.equal(byName.get("in process: cost of the access log line, CPU per request")?.value, 1.19); // 410 / 345
  // A setting not measured: no value.
  assert.equal(byName.get("in process: cost of OTLP log export, CPU per request")?.value, undefined);
  const table = renderTable(measured);
  const row = table
    .split("\n")
    .find((line) => line.startsWith("| FediFlow, Node, telemetry on but no traces"));
  assert.deepEqual(
    row
      ?.split("|")
      .map((cell) => cell.trim())
      .slice(1, -1),
    ["FediFlow, Node, telemetry on but no traces (`OTEL_TRACES_EXPORTER=none`)", "365", "360", "370"],
  );
  assert.match(table, /\| in process \(`app.request`\), 1 × 2 rounds of 3000 requests/);
  assert.match(table, /\| in process: cost of traces, CPU per request +\| +1\.12× \| +1\.08–1\.17 \|/);
  // Only the in-process part measured: no empty read-route table.
  assert.doesNotMatch(renderTable({ ...measured, http: {}, fanout: [] }), /read route, 32 connections/);
});

test("fan-out CPU: where each delivery's CPU went, the ceiling it sets and the measured rate against it", () => {
  const base = results();
  const measured: Results = {
    ...base,
    signatureCpuMs: 0.92,
    fanout: [
      {
        ...(base.fanout[0] as Results["fanout"][number]),
        deliveriesPerSecond: 360,
        cpuMsPerDelivery: { workers: 3.31, web: 0.04, inboxServers: 0.52, rest: 0.52, machine: 4.39 },
        cpuBoundCeilingPerSecond: 456,
        connectionsOpened: 3,
      },
    ],
  };
  const byName = new Map(figures(measured).map((f) => [f.name, f]));
  assert.equal(byName.get("fan-out, 1 worker, deliveries/s / the machine's CPU-bound ceiling")?.value, 0.79);
  const table = renderTable(measured);
  const row = table
    .split("\n")
    .filter((line) => line.startsWith("| 1000 followers on 20 hosts, 1 worker process"))[1];
  assert.deepEqual(
    row
      ?.split("|")
      .map((cell) => cell.trim())
      .slice(1, -1),
    ["1000 followers on 20 hosts, 1 worker process", "3.31", "0.04", "0.52", "0.52", "4.39", "456", "3"],
  );
  assert.match(table, /One RSA-2048 signature .*: 0\.92 ms of CPU/);
  // Results written before this was measured: no CPU table, no ceiling figure.
  assert.doesNotMatch(renderTable(base), /CPU-bound ceiling|RSA-2048/);
  assert.equal(figures(base).find((f) => f.name.includes("ceiling"))?.value, undefined);
});

test("fan-out lessons: the median lesson as the row, every lesson's rate and p95 as the spread, all losses counted", () => {
  const one = results().fanout[0] as Results["fanout"][number];
  const lesson = (deliveriesPerSecond: number, p95: number, lost: number, peakRssMb: number) => ({
    ...one,
    deliveriesPerSecond,
    latencyMs: { ...one.latencyMs, p95 },
    lost,
    duplicated: 0,
    peakRssMb,
  });
  const combined = medianLesson([
    lesson(420, 2300, 0, 200),
    lesson(380, 2600, 1, 215),
    lesson(500, 1900, 0, 190),
  ]);
  assert.equal(combined.deliveriesPerSecond, 420);
  assert.equal(combined.latencyMs.p95, 2300, "the median lesson's own p95, not a mix");
  assert.equal(combined.lost, 1, "a loss in any lesson shows");
  assert.equal(combined.peakRssMb, 215);
  assert.deepEqual(combined.lessons, { deliveriesPerSecond: [420, 380, 500], p95Ms: [2300, 2600, 1900] });
  // Two lessons: the slower one (a median never flatters).
  assert.equal(medianLesson([lesson(500, 1900, 0, 1), lesson(380, 2600, 0, 1)]).deliveriesPerSecond, 380);
  assert.throws(() => medianLesson([]), /no lesson/);
  const byName = new Map(figures({ ...results(), fanout: [combined] }).map((f) => [f.name, f]));
  assert.deepEqual(byName.get("fan-out, 1 worker, deliveries/s")?.range, [380, 500]);
  assert.deepEqual(byName.get("fan-out, 1 worker, p95")?.range, [1900, 2600]);
  assert.equal(meets(byName.get("fan-out, 1 worker, lost + duplicated") as Figure), false);
  // One lesson: no spread.
  assert.equal(figures(results()).find((f) => f.name === "fan-out, 1 worker, p95")?.range, undefined);
});

test("the machine's busy time counts this process's own CPU", async () => {
  const machineBefore = await machineBusyMicros();
  const ownBefore = process.cpuUsage();
  const until = performance.now() + 300;
  while (performance.now() < until) Math.sqrt(Math.random());
  const own = process.cpuUsage(ownBefore);
  const machine = (await machineBusyMicros()) - machineBefore;
  // /proc/stat counts in 10 ms ticks: allow two ticks of rounding.
  assert.ok(
    machine >= own.user + own.system - 20_000,
    `machine ${machine} µs, this process ${own.user + own.system} µs`,
  );
});

test("replaceBlock rewrites only what lies between the markers", () => {
  const readme = "intro\n<!-- bench:start -->\nold table\n<!-- bench:end -->\noutro\n";
  assert.equal(
    replaceBlock(readme, "new table"),
    "intro\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\noutro\n",
  );
  assert.throws(() => replaceBlock("no markers", "x"), /bench:start/);
});

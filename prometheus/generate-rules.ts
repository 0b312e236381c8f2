// Generates prometheus/rules/slo.yml from prometheus/slo.yaml (the one place the SLO targets live).
//
//   node prometheus/generate-rules.ts                 write prometheus/rules/slo.yml
//   node prometheus/generate-rules.ts --check         exit 1 if prometheus/rules/slo.yml is stale
//   node prometheus/generate-rules.ts --scale=60 --out=/tmp/fast-rules
//        write a "fast" variant for end-to-end tests into the directory /tmp/fast-rules: slo.yml
//        plus a copy of every other prometheus/rules/*.yml, with every `for:`, rate window,
//        subquery range and offset divided by 60 (5m -> 5s, 1h -> 1m, 3d -> 1h12m). Rates, ratios
//        and numeric thresholds are unchanged, so the same traffic pattern, sped up 60 times,
//        fires the same alerts. Recording-rule names keep their nominal window (rate5m).
//        Numbers inside expressions that stand for seconds (predict_linear's horizon) are not
//        scaled. Run Prometheus on the fast rules with scrape/evaluation intervals of 1s or less.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isSeq, parse, parseDocument, stringify } from "yaml";

export const PROMETHEUS_DIR = dirname(fileURLToPath(import.meta.url));
export const SLO_CONFIG_PATH = join(PROMETHEUS_DIR, "slo.yaml");
export const RULES_DIR = join(PROMETHEUS_DIR, "rules");
export const SLO_RULES_PATH = join(RULES_DIR, "slo.yml");
export const RUNBOOK_BASE_URL = "https://github.com/fediflow/fediflow-api/blob/main/docs/runbooks/";

export type BurnRate = { severity: string; factor: number; long: string; short: string; for: string };
export type Slo = { name: string; alert: string; objective: number; threshold_seconds?: number };
export type SloConfig = {
  service: string;
  job: string;
  period: string;
  windows: string[];
  min_requests: number;
  slos: Slo[];
  histogram_buckets: number[];
  burn_rates: BurnRate[];
};

type Rule = Record<string, unknown>;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;

/** Parses a Prometheus duration ("90s", "1h30m") into milliseconds. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new Error(`not a Prometheus duration: ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|[smhdwy])/g))
    ms += Number(n) * (UNIT_MS[unit as string] ?? 0);
  return ms;
}

/** Formats milliseconds as the shortest Prometheus duration made of d/h/m/s/ms parts. */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`cannot format duration of ${ms} ms`);
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Divides a duration by `scale`, keeping at least 1ms. */
export function scaleDuration(text: string, scale: number): string {
  if (scale === 1) return text;
  return formatDuration(Math.max(1, Math.round(parseDuration(text) / scale)));
}

/** Human wording of a duration for alert texts: "2d 2h", "5d", "12h". */
function humanDuration(ms: number): string {
  const day = 86_400_000;
  const hour = 3_600_000;
  const days = Math.floor(ms / day);
  const hours = Math.round((ms - days * day) / hour);
  const parts = [days ? `${days}d` : "", hours ? `${hours}h` : ""].filter(Boolean);
  return parts.length ? parts.join(" ") : `${Math.round(ms / 60_000)}m`;
}

/** Rounds away binary floating-point noise (1 - 0.995 = 0.0050000000000000044). */
function clean(n: number): number {
  return Number(n.toPrecision(12));
}

function percent(ratio: number): string {
  return `${clean(ratio * 100)}%`;
}

export function loadSloConfig(path = SLO_CONFIG_PATH): SloConfig {
  const cfg = parse(readFileSync(path, "utf8")) as SloConfig;
  validateSloConfig(cfg);
  return cfg;
}

export function validateSloConfig(cfg: SloConfig): void {
  const problems: string[] = [];
  for (const key of ["service", "job", "period"] as const) {
    if (typeof cfg[key] !== "string" || cfg[key] === "") problems.push(`${key} must be a non-empty string`);
  }
  if (!Array.isArray(cfg.windows) || cfg.windows.length === 0) problems.push("windows must be a list");
  for (const w of cfg.windows ?? []) if (!DURATION.test(w)) problems.push(`window ${w} is not a duration`);
  if (!(cfg.min_requests >= 0)) problems.push("min_requests must be a number >= 0");
  const names = new Set<string>();
  for (const slo of cfg.slos ?? []) {
    if (!/^[a-z][a-z_]*$/.test(slo.name)) problems.push(`slo name ${slo.name} must be lower_snake_case`);
    if (names.has(slo.name)) problems.push(`slo ${slo.name} defined twice`);
    names.add(slo.name);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(slo.alert)) problems.push(`slo ${slo.name}: alert must be CamelCase`);
    if (!(slo.objective > 0 && slo.objective < 1))
      problems.push(`slo ${slo.name}: objective must be in (0, 1)`);
    if (slo.name === "latency" && !cfg.histogram_buckets?.includes(slo.threshold_seconds as number)) {
      problems.push(
        `slo latency: threshold_seconds must be one of the histogram buckets ${cfg.histogram_buckets}`,
      );
    }
  }
  if (!names.has("availability") || !names.has("latency"))
    problems.push("slos must define availability and latency");
  for (const b of cfg.burn_rates ?? []) {
    if (!["critical", "warning"].includes(b.severity)) problems.push(`burn rate severity ${b.severity}`);
    if (!(b.factor > 0)) problems.push(`burn rate factor ${b.factor}`);
    for (const w of [b.long, b.short])
      if (!cfg.windows?.includes(w)) problems.push(`window ${w} not in windows`);
    if (!DURATION.test(b.for)) problems.push(`burn rate for: ${b.for}`);
  }
  if (problems.length) throw new Error(`invalid ${SLO_CONFIG_PATH}:\n  ${problems.join("\n  ")}`);
}

/** Recording-rule names, shared with the dashboards generator. */
export const recordName = {
  requestRate: (w: string) => `job:http_requests:rate${w}`,
  errorRatio: (w: string) => `job:http_requests_errors:ratio_rate${w}`,
  latencySli: (w: string) => `job:http_requests_latency_sli:ratio_rate${w}`,
};

/** PromQL matcher for the latency threshold bucket; integer bounds also match Prometheus 3's "1.0". */
export function leMatcher(threshold: number): string {
  return Number.isInteger(threshold) ? `le=~"${threshold}(\\\\.0)?"` : `le="${threshold}"`;
}

function recordingRules(cfg: SloConfig, scale: number): Rule[] {
  const threshold = cfg.slos.find((s) => s.name === "latency")?.threshold_seconds as number;
  const sel = (extra = "") => `{job="${cfg.job}"${extra}}`;
  const rules: Rule[] = [];
  for (const w of cfg.windows) {
    const range = `[${scaleDuration(w, scale)}]`;
    const total = `sum by (job) (rate(http_requests_total${sel()}${range}))`;
    rules.push({ record: recordName.requestRate(w), expr: total });
    rules.push({
      record: recordName.errorRatio(w),
      expr: [
        "(",
        `  sum by (job) (rate(http_requests_total${sel(', status_code=~"5.."')}${range}))`,
        "  or",
        `  0 * ${total}`,
        ")",
        "/",
        total,
      ].join("\n"),
    });
    rules.push({
      record: recordName.latencySli(w),
      expr: [
        `sum by (job) (rate(http_request_duration_seconds_bucket${sel(`, ${leMatcher(threshold)}`)}${range}))`,
        "/",
        `sum by (job) (rate(http_request_duration_seconds_count${sel()}${range}))`,
      ].join("\n"),
    });
  }
  return rules;
}

function burnRateAlerts(cfg: SloConfig, slo: Slo, scale: number): Rule[] {
  const budget = clean(1 - slo.objective);
  const periodMs = parseDuration(cfg.period) / scale;
  return cfg.burn_rates.map((b) => {
    const threshold = clean(b.factor * budget);
    const long = scaleDuration(b.long, scale);
    const short = scaleDuration(b.short, scale);
    const minRate = Number((cfg.min_requests / (parseDuration(b.short) / 1000)).toPrecision(4));
    const sel = `{job="${cfg.job}"}`;
    const bad = (w: string) =>
      slo.name === "availability"
        ? `${recordName.errorRatio(w)}${sel}`
        : `(1 - ${recordName.latencySli(w)}${sel})`;
    const what =
      slo.name === "availability"
        ? "failed with 5xx"
        : `took longer than ${clean((slo.threshold_seconds as number) * 1000)}ms`;
    const sloText =
      slo.name === "availability"
        ? `${percent(slo.objective)} availability SLO`
        : `latency SLO (${percent(slo.objective)} of requests under ${clean((slo.threshold_seconds as number) * 1000)}ms)`;
    return {
      alert: slo.alert,
      expr: [
        `${bad(b.long)} > ${threshold}`,
        "and",
        `${bad(b.short)} > ${threshold}`,
        "and on (job)",
        `${recordName.requestRate(b.short)}${sel} >= ${minRate}`,
      ].join("\n"),
      for: scaleDuration(b.for, scale),
      labels: {
        severity: b.severity,
        service: cfg.service,
        slo: slo.name,
        long_window: long,
        short_window: short,
        burn_rate: String(b.factor),
      },
      annotations: {
        summary: `FediFlow API ${slo.name} error budget burning ${b.factor}x too fast (${long} and ${short} windows)`,
        description:
          `{{ $value | humanizePercentage }} of requests to {{ $labels.job }} ${what} over the last ${long} ` +
          `(and over the last ${short}): ${b.factor}x the ${percent(budget)} error budget of the ${sloText}. ` +
          `At this pace the ${cfg.period} budget is gone in ${humanDuration(periodMs / b.factor)}.`,
        runbook_url: `${RUNBOOK_BASE_URL}${slo.alert}.md`,
      },
    };
  });
}

/** The rule groups of slo.yml as plain objects. */
export function sloRuleGroups(cfg: SloConfig, scale = 1): { groups: Rule[] } {
  return {
    groups: [
      {
        // One group: rules in a group run in order, so the alerts read recordings of the same cycle.
        name: `slo.${cfg.service}`,
        rules: [...recordingRules(cfg, scale), ...cfg.slos.flatMap((slo) => burnRateAlerts(cfg, slo, scale))],
      },
    ],
  };
}

export function renderSloRules(cfg: SloConfig, scale = 1): string {
  const header = [
    "# GENERATED by prometheus/generate-rules.ts from prometheus/slo.yaml - do not edit by hand.",
    scale === 1
      ? "# Regenerate with: node prometheus/generate-rules.ts"
      : `# FAST TEST VARIANT: every duration divided by ${scale}. Never load this in production.`,
    "#",
    "# Recording rules (label: job), one set per window:",
    `#   ${recordName.requestRate("<w>")}               requests per second`,
    `#   ${recordName.errorRatio("<w>")}   share of requests answered 5xx`,
    `#   ${recordName.latencySli("<w>")}  share of requests under the latency threshold`,
    "# Burn-rate alerts fire when both windows exceed factor x (1 - objective) and the short window",
    `# saw at least ${cfg.min_requests} requests (written as a rate).`,
    "",
  ].join("\n");
  return header + stringify(sloRuleGroups(cfg, scale), { lineWidth: 0 });
}

const RANGE = /\[\s*((?:\d+(?:ms|[smhdwy]))+)\s*(?::\s*((?:\d+(?:ms|[smhdwy]))+)?\s*)?\]/g;
const OFFSET = /\boffset\s+(-?)((?:\d+(?:ms|[smhdwy]))+)/g;

/** Scales range selectors, subquery ranges/steps and offsets in a PromQL expression. */
export function scaleExpr(expr: string, scale: number): string {
  return expr
    .replace(RANGE, (_m, range: string, step?: string) =>
      step === undefined
        ? _m.includes(":")
          ? `[${scaleDuration(range, scale)}:]`
          : `[${scaleDuration(range, scale)}]`
        : `[${scaleDuration(range, scale)}:${scaleDuration(step, scale)}]`,
    )
    .replace(OFFSET, (_m, sign: string, d: string) => `offset ${sign}${scaleDuration(d, scale)}`);
}

/** Returns a hand-written rule file with every duration scaled, comments kept. */
export function scaleRuleFile(text: string, scale: number): string {
  const doc = parseDocument(text);
  const groups = doc.get("groups");
  if (!isSeq(groups)) throw new Error("rule file without groups");
  for (const group of groups.items) {
    if (!isMap(group)) continue;
    const interval = group.get("interval");
    if (typeof interval === "string") group.set("interval", scaleDuration(interval, scale));
    const rules = group.get("rules");
    if (!isSeq(rules)) continue;
    for (const rule of rules.items) {
      if (!isMap(rule)) continue;
      const expr = rule.get("expr");
      if (typeof expr === "string") rule.set("expr", scaleExpr(expr, scale));
      const forDuration = rule.get("for");
      if (typeof forDuration === "string") rule.set("for", scaleDuration(forDuration, scale));
    }
  }
  return `# FAST TEST VARIANT: every duration divided by ${scale}. Never load this in production.\n${doc.toString({ lineWidth: 0 })}`;
}

function main(argv: string[]): number {
  const flags = new Map(
    argv.map((a) => {
      const [k, ...v] = a.replace(/^--/, "").split("=");
      return [k as string, v.join("=")];
    }),
  );
  for (const k of flags.keys()) {
    if (!["check", "scale", "out"].includes(k)) {
      console.error(`unknown option --${k}\nusage: generate-rules.ts [--check] [--scale=N --out=DIR]`);
      return 2;
    }
  }
  const cfg = loadSloConfig();
  const scale = flags.has("scale") ? Number(flags.get("scale")) : 1;
  if (!(scale >= 1)) {
    console.error("--scale must be a number >= 1");
    return 2;
  }
  if (flags.has("check")) {
    const stale = readFileSync(SLO_RULES_PATH, "utf8") !== renderSloRules(cfg);
    console.log(stale ? `${SLO_RULES_PATH} is stale: run node prometheus/generate-rules.ts` : "up to date");
    return stale ? 1 : 0;
  }
  if (scale !== 1 || flags.has("out")) {
    const out = flags.get("out");
    if (!out) {
      console.error("--scale needs --out=DIR (the committed rules are never scaled)");
      return 2;
    }
    const dir = resolve(out);
    if (dir === RULES_DIR) {
      console.error("refusing to write a scaled variant over prometheus/rules");
      return 2;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "slo.yml"), renderSloRules(cfg, scale));
    for (const file of readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml") && f !== "slo.yml")) {
      writeFileSync(join(dir, file), scaleRuleFile(readFileSync(join(RULES_DIR, file), "utf8"), scale));
    }
    console.log(`wrote rules scaled 1/${scale} to ${dir}`);
    return 0;
  }
  writeFileSync(SLO_RULES_PATH, renderSloRules(cfg));
  console.log(`wrote ${SLO_RULES_PATH}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}

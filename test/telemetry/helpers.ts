/**
 * Small helpers shared by the telemetry suites: Prometheus/OpenMetrics exposition parsing and
 * bounded-concurrency request bursts (polling and free ports are in ../support/processes.ts).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
  /** OpenMetrics exemplar (`# {trace_id="…"} value [timestamp]`) when the line carries one. */
  exemplar?: { labels: Record<string, string>; value: string };
  line: string;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
  /** Lines that are neither comments nor blank: one per series. */
  seriesCount: number;
}

/** Parses `{a="x",b="y\"z"}` starting at `text[start] === "{"`; returns the labels and the index after `}`. */
function parseLabels(text: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (i < text.length && text[i] !== "}") {
    const eq = text.indexOf("=", i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`malformed labels in: ${text}`);
    const name = text.slice(i, eq).trim();
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        j++;
        value += text[j] === "n" ? "\n" : text[j];
      } else {
        value += text[j];
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
  }
  if (text[i] !== "}") throw new Error(`unterminated labels in: ${text}`);
  return { labels, end: i + 1 };
}

/** Parses the Prometheus text format or OpenMetrics (including exemplars). */
export function parseExposition(text: string): Exposition {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta?.[1] === "HELP") help.set(meta[2] as string, meta[3] ?? "");
      if (meta?.[1] === "TYPE") type.set(meta[2] as string, meta[3] ?? "");
      continue;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new Error(`not a sample line: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      const parsed = parseLabels(rest, 0);
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const [valuePart, exemplarPart] = rest.split(" # ");
    const value = valuePart?.trim().split(/\s+/)[0] ?? "";
    const sample: Sample = { name, labels, value, line };
    if (exemplarPart !== undefined) {
      const parsed = parseLabels(exemplarPart.trim(), 0);
      const exemplarValue = exemplarPart.trim().slice(parsed.end).trim().split(/\s+/)[0] ?? "";
      sample.exemplar = { labels: parsed.labels, value: exemplarValue };
    }
    samples.push(sample);
  }
  return { help, type, samples, seriesCount: samples.length };
}

export async function scrape(
  baseUrl: string,
  accept?: string,
): Promise<{ contentType: string; text: string }> {
  const response = await fetch(`${baseUrl}/metrics`, accept ? { headers: { accept } } : {});
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return { contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}

/** The value of the one sample `name{labels…}` whose labels include `labels`, or undefined. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = exposition.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found ? Number(found.value) : undefined;
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight. */
export async function runBounded<T>(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}

/** JSON with bigints as strings (received spans and logs carry bigint timestamps). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

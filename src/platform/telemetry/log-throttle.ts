import type { LogLevel, LogRecord, Sink } from "@logtape/logtape";

/** Levels whose identical lines are collapsed: the ones an outage repeats once per request. */
const THROTTLED: ReadonlySet<LogLevel> = new Set(["warning", "error"]);
/** Distinct lines remembered at once; beyond it the memory starts over (bounded under any input). */
const MAX_KEYS = 1000;

function render(record: LogRecord): string {
  let text = "";
  for (const part of record.message) {
    text +=
      typeof part === "string"
        ? part
        : part instanceof Error
          ? `${part.name}: ${part.message}`
          : JSON.stringify(part);
  }
  return text;
}

/**
 * Wraps a sink so that a warning or error line identical to one written less than `windowMs` ago (same
 * level, category and rendered message; request ids and other properties may differ) is dropped. The
 * next identical line after the window passes through with `suppressed: N`, the count dropped since.
 * Distinct messages, and every line below warning, always pass. A Redis or database outage otherwise
 * writes the same warning once per request (31,600 lines in 30 s were seen), flooding stdout and the
 * log backend exactly when they are needed.
 */
export function throttleRepeats(
  sink: Sink & Partial<AsyncDisposable>,
  windowMs: number,
  now: () => number = Date.now,
): Sink & Partial<AsyncDisposable> {
  const seen = new Map<string, { since: number; suppressed: number }>();
  const throttled: Sink = (record) => {
    if (!THROTTLED.has(record.level)) return sink(record);
    const key = `${record.level}\u0000${record.category.join(".")}\u0000${render(record)}`;
    const time = now();
    const entry = seen.get(key);
    if (entry && time - entry.since < windowMs) {
      entry.suppressed++;
      return;
    }
    if (!entry && seen.size >= MAX_KEYS) seen.clear();
    seen.set(key, { since: time, suppressed: 0 });
    sink(
      entry?.suppressed
        ? { ...record, properties: { ...record.properties, suppressed: entry.suppressed } }
        : record,
    );
  };
  // Disposing flushes the wrapped sinks (buffered stdout lines at shutdown).
  const dispose = sink[Symbol.asyncDispose];
  return dispose ? Object.assign(throttled, { [Symbol.asyncDispose]: () => dispose.call(sink) }) : throttled;
}

/**
 * Fedify hands over `Temporal.Duration` objects (its own polyfill on runtimes without Temporal). Only
 * their fields are read here, so no Temporal global or polyfill is needed by this code.
 */
interface DurationFields {
  readonly years?: number;
  readonly months?: number;
  readonly weeks?: number;
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
  readonly milliseconds?: number;
  readonly microseconds?: number;
  readonly nanoseconds?: number;
}

/** Milliseconds in a duration; months and years are approximated (30 and 365 days). */
export function durationMs(duration: unknown): number {
  const d = duration as DurationFields;
  const ms =
    (d.years ?? 0) * 365 * 86_400_000 +
    (d.months ?? 0) * 30 * 86_400_000 +
    (d.weeks ?? 0) * 7 * 86_400_000 +
    (d.days ?? 0) * 86_400_000 +
    (d.hours ?? 0) * 3_600_000 +
    (d.minutes ?? 0) * 60_000 +
    (d.seconds ?? 0) * 1000 +
    (d.milliseconds ?? 0) +
    (d.microseconds ?? 0) / 1000 +
    (d.nanoseconds ?? 0) / 1e6;
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}

import { type Sql, savepoint, transaction } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";
import { clientErrorFromDatabase } from "../platform/db/sqlstate.ts";
import { replaceUnstorableDeep } from "../platform/db/text.ts";
import { uuidv7 } from "../platform/ids.ts";

export interface ReceivedAlert {
  fingerprint: string;
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string | undefined;
  generatorURL?: string | undefined;
}

/** An alert of a notification that could not be stored, and why. */
export interface RefusedAlert {
  fingerprint: string;
  reason: string;
}

export interface StoredAlert {
  id: string;
  fingerprint: string;
  status: string;
  alertname: string;
  severity: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  starts_at: string;
  ends_at: string | null;
  generator_url: string | null;
  receiver: string;
  received_at: string;
}

// Alertmanager sends 0001-01-01T00:00:00Z as endsAt of firing alerts: that means "not ended".
const NOT_ENDED = /^0001-01-01/;
// Advisory-lock class of the per-fingerprint lock (the two-key form, apart from the migration lock).
const ALERT_LOCK_CLASS = 1_868_787_712;

interface CurrentState {
  id: string;
  status: "firing" | "resolved";
  /** ISO text from the database client (a Date is tolerated). */
  starts_at: string | Date;
}

/** Milliseconds since the epoch encoded in a UUIDv7 (RFC 9562 §5.7). */
const uuidv7Time = (id: string) => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);

/**
 * Whether `alert` is a state change to store, given the fingerprint's latest stored state and the
 * latest resolve stored for the same start. Alertmanager's v4 payload dates a firing alert only by
 * `startsAt` (its `endsAt` is the zero time) and a resolved one by `endsAt`, so:
 * - an earlier `startsAt` than the stored one is a late notification of a previous episode: ignored;
 * - a later `startsAt` is a new episode: stored;
 * - same `startsAt`: a change of status is stored (firing → resolved → firing is a flap), except a
 *   resolve whose `endsAt` is not after a resolve already stored for this start (a late or repeated
 *   one, arriving after the re-fire); an unchanged status is a repeat: ignored.
 * A firing notification with the start of a stored resolve cannot be told from a re-fire by its
 * payload: it is taken as one (Alertmanager sends a group's notifications in order).
 */
function isStateChange(
  alert: { status: "firing" | "resolved"; startsAt: Date; endsAt: Date | null },
  current: CurrentState | undefined,
  lastResolvedAt: string | Date | null,
): boolean {
  if (!current) return true;
  const start = alert.startsAt.getTime();
  const currentStart = new Date(current.starts_at).getTime();
  if (start !== currentStart) return start > currentStart;
  if (alert.status === current.status) return false;
  if (alert.status === "resolved" && lastResolvedAt && alert.endsAt) {
    return alert.endsAt.getTime() > new Date(lastResolvedAt).getTime();
  }
  return true;
}

/**
 * Stores the state changes among `alerts` (one Alertmanager notification) and returns how many rows
 * were written. One transaction; each fingerprint is locked (in sorted order, so concurrent batches
 * cannot deadlock) so that two replicas of Alertmanager delivering the same notification store it once.
 * Text is stored by the machine-feed rule of src/platform/db/text.ts (U+0000 and unpaired surrogates become
 * U+FFFD): Alertmanager cannot correct an alert, and refusing it would lose it. An alert PostgreSQL still
 * cannot store (a data exception, SQLSTATE class 22: a `startsAt` in year 0000, which Alertmanager passes
 * on from whoever posted the alert) is left out and reported in `refused`; the rest are stored: refusing
 * the notification would lose them all (Alertmanager does not retry a 4xx, and retrying cannot help).
 */
export async function storeAlerts(
  sql: Sql,
  receiver: string,
  alerts: ReceivedAlert[],
): Promise<{ stored: number; refused: RefusedAlert[] }> {
  const clean = alerts.map((alert) => replaceUnstorableDeep(alert));
  const fingerprints = [...new Set(clean.map((alert) => alert.fingerprint))].sort();
  return transaction(sql, async (tx) => {
    for (const fingerprint of fingerprints) {
      await tx`select pg_advisory_xact_lock(${ALERT_LOCK_CLASS}, hashtext(${fingerprint}))`;
    }
    let stored = 0;
    const refused: RefusedAlert[] = [];
    for (const alert of clean) {
      const endsAt = alert.endsAt && !NOT_ENDED.test(alert.endsAt) ? alert.endsAt : null;
      const [current] = await tx<CurrentState[]>`
        select id, status, starts_at from ops_alerts
        where fingerprint = ${alert.fingerprint} order by id desc limit 1`;
      const [resolved] = current
        ? await tx<{ ends_at: string | null }[]>`
            select max(ends_at) as ends_at from ops_alerts
            where fingerprint = ${alert.fingerprint} and starts_at = ${current.starts_at} and status = 'resolved'`
        : [];
      const change = {
        status: alert.status,
        startsAt: new Date(alert.startsAt),
        endsAt: endsAt ? new Date(endsAt) : null,
      };
      if (!isStateChange(change, current, resolved?.ends_at ?? null)) continue;
      // Ids order a fingerprint's rows: the new one is always after the current one, even within a millisecond.
      const id = uuidv7(Math.max(Date.now(), current ? uuidv7Time(current.id) + 1 : 0));
      try {
        await savepoint(
          tx,
          (sp) => sp`
            insert into ops_alerts (id, fingerprint, status, alertname, severity, labels, annotations, starts_at, ends_at, generator_url, receiver)
            values (${id}, ${alert.fingerprint}, ${alert.status}, ${alert.labels.alertname ?? "unknown"},
                    ${alert.labels.severity ?? null}, ${sp.json(alert.labels)}, ${sp.json(alert.annotations)},
                    ${alert.startsAt}, ${endsAt}, ${alert.generatorURL ?? null}, ${replaceUnstorableDeep(receiver)})`,
        );
      } catch (error) {
        const client = clientErrorFromDatabase(error);
        if (client?.status !== 422) throw error;
        refused.push({ fingerprint: alert.fingerprint, reason: client.message });
        continue;
      }
      stored++;
    }
    return { stored, refused };
  });
}

export function listAlerts(
  sql: Sql,
  filter: { status?: string | undefined },
  page: PageRequest,
): Promise<Slice<StoredAlert>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<StoredAlert[]>`
    select id, fingerprint, status, alertname, severity, labels, annotations, starts_at, ends_at,
           generator_url, receiver, received_at
    from ops_alerts
    where true ${filter.status ? sql`and status = ${filter.status}` : sql``} ${k.after}
    ${k.page}`,
  );
}

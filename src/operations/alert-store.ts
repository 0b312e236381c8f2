import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";
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

/** Stores each alert once per fingerprint, status and start; returns how many were new. */
export async function storeAlerts(sql: Sql, receiver: string, alerts: ReceivedAlert[]): Promise<number> {
  let stored = 0;
  for (const alert of alerts) {
    const endsAt = alert.endsAt && !NOT_ENDED.test(alert.endsAt) ? alert.endsAt : null;
    const rows = await sql`
      insert into ops_alerts (id, fingerprint, status, alertname, severity, labels, annotations, starts_at, ends_at, generator_url, receiver)
      values (${uuidv7()}, ${alert.fingerprint}, ${alert.status}, ${alert.labels.alertname ?? "unknown"},
              ${alert.labels.severity ?? null}, ${sql.json(alert.labels)}, ${sql.json(alert.annotations)},
              ${alert.startsAt}, ${endsAt}, ${alert.generatorURL ?? null}, ${receiver})
      on conflict (fingerprint, status, starts_at) do nothing
      returning id`;
    stored += rows.length;
  }
  return stored;
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

import { randomUUID } from "node:crypto";
import type { Sql } from "../platform/db/client.ts";

/** The health record of one remote instance (`host[:port]`) this instance delivers to. */
export interface InstanceRecord {
  host: string;
  first_seen_at: string | Date;
  last_success_at: string | Date | null;
  last_failure_at: string | Date | null;
  consecutive_failures: number;
  circuit: "closed" | "open";
  opened_at: string | Date | null;
  open_count: number;
  next_attempt_at: string | Date | null;
  last_error: string | null;
  delivered_total: string | number;
  failed_total: string | number;
}

export interface CircuitOptions {
  /** Consecutive host-level failures (network, 5xx, 429) that open the circuit. */
  threshold: number;
  /** First wait before a half-open probe; doubles with every failed probe up to `maxMs`. */
  recoveryMs: number;
  maxMs: number;
}

export type CircuitChange = "opened" | "closed" | undefined;

const columns = `host, first_seen_at, last_success_at, last_failure_at, consecutive_failures, circuit,
  opened_at, open_count, next_attempt_at, last_error, delivered_total, failed_total`;

/**
 * Per-remote-instance delivery health with a circuit breaker. While a host's circuit is open the queue
 * holds its deliveries (they stay queued, spending no attempts) and lets one probe through once
 * `next_attempt_at` has passed; a success closes the circuit and releases the held deliveries.
 * Every transition is made by one atomic upsert, so concurrent workers agree on the state.
 *
 * Successes cost no round trip in the steady state: they are counted in memory and written for every
 * host at once, one multi-row upsert per second (`flush`). Only a success that can change the circuit
 * is written at once: the probe of an open circuit, or the first success after this process recorded a
 * host fault (the circuit it may have opened closes, the failure count restarts).
 */
export function createInstanceHealth(sql: Sql, options: CircuitOptions) {
  /** Successes per host not written yet. */
  const pending = new Map<string, number>();
  /** Hosts whose last outcome seen here was a host fault (recordFailure). */
  const faulted = new Set<string>();
  let flushScheduled = false;

  /**
   * Writes the successes counted since the last flush: one upsert for all hosts, in host order (so two
   * workers flushing the same hosts lock their rows in the same order). A host seen for the first time
   * gets its row here. The failure count restarts only where the circuit is closed and no host fault
   * was recorded here after those successes; an open circuit stays open (only its probe closes it).
   * On error the counts go back to be written with the next flush.
   */
  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    const hosts = batch.map(([host]) => host);
    const counts = batch.map(([, n]) => n);
    const faultedSince = hosts.filter((host) => faulted.has(host));
    try {
      await sql`
        insert into federation_instances as i (host, last_success_at, delivered_total)
        select p.host, now(), p.n from unnest(${hosts}::text[], ${counts}::int[]) as p(host, n)
        order by p.host
        on conflict (host) do update set
          last_success_at = now(),
          delivered_total = i.delivered_total + excluded.delivered_total,
          consecutive_failures = case
            when i.circuit = 'closed' and not (i.host = any(${faultedSince}::text[])) then 0
            else i.consecutive_failures end`;
    } catch (error) {
      for (const [host, n] of batch) pending.set(host, (pending.get(host) ?? 0) + n);
      scheduleFlush();
      throw error;
    }
  }
  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    const timer = setTimeout(() => {
      flushScheduled = false;
      flush().catch(() => {});
    }, 1000);
    timer.unref?.();
  }

  // A statement that flips the circuit stamps it with its own random token, so exactly one of several
  // concurrent workers reports each transition.
  const changed = (row: { changed: boolean } | undefined, to: "opened" | "closed") =>
    row?.changed ? to : undefined;

  return {
    /**
     * A delivery reached the host and was accepted (2xx). `probe`: it was the half-open probe of an
     * open circuit (QueueTask.probe). Closes an open circuit; answers `"closed"` to the one caller whose
     * success did so, `undefined` otherwise (always for successes only counted, see `flush`).
     */
    async recordSuccess(host: string, { probe = false }: { probe?: boolean } = {}): Promise<CircuitChange> {
      if (!probe && !faulted.has(host)) {
        pending.set(host, (pending.get(host) ?? 0) + 1);
        scheduleFlush();
        return undefined;
      }
      // Successes finishing meanwhile are only counted: this statement already settles the host.
      faulted.delete(host);
      const token = randomUUID();
      let row: { changed: boolean } | undefined;
      try {
        [row] = await sql<{ changed: boolean }[]>`
          insert into federation_instances as i (host, last_success_at, delivered_total)
          values (${host}, now(), 1)
          on conflict (host) do update set
            last_success_at = now(),
            consecutive_failures = 0,
            delivered_total = i.delivered_total + 1,
            changed_at = case when i.circuit = 'open' then now() else i.changed_at end,
            change_token = case when i.circuit = 'open' then ${token} else i.change_token end,
            circuit = 'closed',
            next_attempt_at = null
          returning change_token = ${token} as changed`;
      } catch (error) {
        faulted.add(host);
        throw error;
      }
      if (changed(row, "closed")) {
        // Deliveries held or backed off while the host was down go out now.
        await sql`update federation_queue set available_at = now()
                  where host = ${host} and kind = 'outbox' and available_at > now()`;
      }
      return changed(row, "closed");
    },

    /** The host answered, but refused the delivery (4xx): it is reachable, so the circuit closes. */
    async recordRejection(host: string, error: string): Promise<CircuitChange> {
      faulted.delete(host);
      const token = randomUUID();
      const [row] = await sql<{ changed: boolean }[]>`
        insert into federation_instances as i (host, last_failure_at, last_error, failed_total)
        values (${host}, now(), ${error}, 1)
        on conflict (host) do update set
          last_failure_at = now(),
          last_error = excluded.last_error,
          failed_total = i.failed_total + 1,
          consecutive_failures = 0,
          changed_at = case when i.circuit = 'open' then now() else i.changed_at end,
          change_token = case when i.circuit = 'open' then ${token} else i.change_token end,
          circuit = 'closed',
          next_attempt_at = null
        returning change_token = ${token} as changed`;
      return changed(row, "closed");
    },

    /** The host could not be reached or failed (network error, timeout, 5xx, 429). May open the circuit. */
    async recordFailure(host: string, error: string): Promise<CircuitChange> {
      const threshold = options.threshold;
      faulted.add(host);
      const token = randomUUID();
      const [row] = await sql<{ changed: boolean }[]>`
        insert into federation_instances as i
          (host, last_failure_at, last_error, failed_total, consecutive_failures, circuit, opened_at,
           changed_at, change_token, open_count, next_attempt_at)
        values (${host}, now(), ${error}, 1, 1,
          case when ${threshold} <= 1 then 'open' else 'closed' end,
          case when ${threshold} <= 1 then now() end,
          case when ${threshold} <= 1 then now() end,
          case when ${threshold} <= 1 then ${token} end,
          case when ${threshold} <= 1 then 1 else 0 end,
          case when ${threshold} <= 1 then now() + ${options.recoveryMs} * interval '1 millisecond' end)
        on conflict (host) do update set
          last_failure_at = now(),
          last_error = excluded.last_error,
          failed_total = i.failed_total + 1,
          consecutive_failures = i.consecutive_failures + 1,
          changed_at = case when i.circuit = 'closed' and i.consecutive_failures + 1 >= ${threshold}
                            then now() else i.changed_at end,
          change_token = case when i.circuit = 'closed' and i.consecutive_failures + 1 >= ${threshold}
                              then ${token} else i.change_token end,
          opened_at = case when i.circuit = 'closed' and i.consecutive_failures + 1 >= ${threshold}
                           then now() else i.opened_at end,
          open_count = case when i.circuit = 'closed' and i.consecutive_failures + 1 >= ${threshold}
                            then i.open_count + 1 else i.open_count end,
          circuit = case when i.consecutive_failures + 1 >= ${threshold} then 'open' else 'closed' end,
          next_attempt_at = case when i.consecutive_failures + 1 >= ${threshold}
            then now() + least(
              ${options.recoveryMs} * power(2, least(i.consecutive_failures + 1 - ${threshold}, 20)),
              ${options.maxMs}) * interval '1 millisecond'
            end
        returning change_token = ${token} as changed`;
      return changed(row, "opened");
    },

    /** Writes the success counters still held in memory (at shutdown, or before reading them). */
    flush,

    async list(): Promise<InstanceRecord[]> {
      await flush();
      return sql<InstanceRecord[]>`select ${sql.unsafe(columns)} from federation_instances order by host`;
    },

    async find(host: string): Promise<InstanceRecord | undefined> {
      await flush();
      const [row] = await sql<InstanceRecord[]>`
        select ${sql.unsafe(columns)} from federation_instances where host = ${host}`;
      return row;
    },

    /** For the /health federation check: instances with a closed circuit count as healthy. */
    async summary(): Promise<{ healthy: number; total: number }> {
      const [row] = await sql<{ healthy: number; total: number }[]>`
        select count(*) filter (where circuit = 'closed')::int as healthy, count(*)::int as total
        from federation_instances`;
      return row ?? { healthy: 0, total: 0 };
    },

    /** Remote instances each tenant has a relationship with and can currently reach, per tenant slug. */
    async connectedByTenant(): Promise<{ tenant: string; connected: number }[]> {
      return sql<{ tenant: string; connected: number }[]>`
        select t.slug as tenant, count(distinct r.host) filter (where i.circuit is distinct from 'open')::int as connected
        from tenants t
        join (select tenant_id, host from federation_followers
              union select tenant_id, host from federation_following) r on r.tenant_id = t.id
        left join federation_instances i on i.host = r.host
        group by t.slug`;
    },
  };
}

export type InstanceHealth = ReturnType<typeof createInstanceHealth>;

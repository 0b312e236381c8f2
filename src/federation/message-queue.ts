import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { context } from "@opentelemetry/api";
import type { Sql } from "../platform/db/client.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import { suppressTracing } from "../platform/telemetry/spans.ts";
import {
  DeliveryTimeoutError,
  describeError,
  type FailureDecision,
  insertTasks,
  type QueueTask,
  type QueueTuning,
  type TaskPolicy,
} from "./queue-tasks.ts";

export type { FailureDecision, QueueTask, QueueTuning, TaskPolicy };

/**
 * The delivery policy as the queue uses it: TaskPolicy, plus `reclaimed(count)` for tasks claimed after
 * another worker's lease on them had expired (it stopped without finishing: each may be a duplicate).
 */
export type QueuePolicy = TaskPolicy & { reclaimed?(count: number): void };
export { DeliveryTimeoutError, describeError };

/** Lets Fedify callbacks (onOutboxError) report the error of the attempt that is running. */
const attemptStorage = new AsyncLocalStorage<{ error?: unknown }>();
export function noteAttemptError(error: unknown): void {
  const store = attemptStorage.getStore();
  if (store) store.error = error;
}

/** How long a busy worker waits for more slots to free up before claiming (see listen()). */
const CLAIM_COALESCE_MS = 5;

const quiet = <T>(work: () => Promise<T>): Promise<T> =>
  context.with(suppressTracing(context.active()), work);

/**
 * Fedify's MessageQueue on PostgreSQL (`federation_queue`) through postgres.js. Workers poll with
 * leases (`locked_until`), renewed every third of the lease while the task runs: a task is deleted only
 * after its handler finished, so a crash or restart loses nothing, and a crashed worker's tasks come
 * back once their (short) lease expires (at-least-once; receivers deduplicate by activity id). A task
 * claimed after its lease expired may have been delivered already: those reclaims are counted. The queue retries natively with
 * exponential back-off decided by the TaskPolicy, honours ordering keys (only the oldest task of a key
 * is claimable) and circuit breakers (tasks for a host whose circuit is open are held, one probe at a
 * time), and caps tasks per remote host. Wake-ups: in-process at once, LISTEN/NOTIFY on PostgreSQL
 * when it works (it does not through pglite-socket), else the poll interval.
 */
export class PostgresMessageQueue implements MessageQueue {
  readonly nativeRetrial = true;
  readonly #sql: Sql;
  readonly #tuning: QueueTuning;
  readonly #logger: Logger;
  #policy: QueuePolicy | undefined;
  #woken = false;
  #resolveSleep: (() => void) | undefined;
  #fastUntil = 0;
  #stopping = false;
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #hostInflight = new Map<string, number>();
  #unlisten: (() => Promise<void>) | undefined;
  readonly #localHandlers = new Map<string, (message: Record<string, unknown>) => Promise<void>>();
  #renewal: ReturnType<typeof setInterval> | undefined;

  readonly #notify: boolean;
  /** Free slots worth one claim while tasks run: a quarter of the concurrency, at most 8. */
  readonly #claimBatch: number;

  /** `notify`: use LISTEN/NOTIFY wake-ups (PostgreSQL; not through pglite-socket, where they never arrive). */
  constructor(sql: Sql, tuning: QueueTuning, logger: Logger, notify: boolean) {
    this.#sql = sql;
    this.#notify = notify;
    this.#tuning = tuning;
    this.#logger = logger;
    this.#claimBatch = Math.min(8, Math.ceil(tuning.concurrency / 4));
  }

  /** Tasks whose `type` is `kind` go to `handler` instead of Fedify (e.g. this service's `publish` tasks). */
  handle(kind: string, handler: (message: Record<string, unknown>) => Promise<void>): void {
    this.#localHandlers.set(kind, handler);
  }

  setPolicy(policy: QueuePolicy): void {
    this.#policy = policy;
  }

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueMany([message], options);
  }

  async enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    await insertTasks(this.#sql, messages, options);
    if (this.#notify) await this.#sql`select pg_notify('federation_queue', '')`.catch(() => {});
    this.wake();
  }

  /** Inserts a task inside the caller's transaction; NOTIFY is delivered on commit. */
  async enqueueInTransaction(
    tx: Sql,
    message: Record<string, unknown>,
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    await insertTasks(tx, [message], options);
    if (this.#notify) await tx`select pg_notify('federation_queue', '')`;
    // Not committed yet: poll fast for a moment instead of waiting a whole interval (PGlite has no NOTIFY).
    this.#fastUntil = Date.now() + 2000;
    this.wake();
  }

  wake(): void {
    this.#woken = true;
    this.#resolveSleep?.();
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const [row] = await quiet(
      () => this.#sql<{ queued: number; ready: number }[]>`
        select count(*)::int as queued, count(*) filter (where available_at <= now())::int as ready
        from federation_queue`,
    );
    const queued = row?.queued ?? 0;
    const ready = row?.ready ?? 0;
    return { queued, ready, delayed: queued - ready };
  }

  /** Queue depth and how long the oldest task that is due (not backing off, not held) has waited. */
  async stats(): Promise<{ depth: number; oldestDueAgeSeconds: number; dead: number }> {
    const [row] = await quiet(
      () => this.#sql<{ depth: number; age: number | null; dead: number }[]>`
        select (select count(*)::int from federation_queue) as depth,
               (select extract(epoch from now() - min(q.available_at))::float8 from federation_queue q
                left join federation_instances i on i.host = q.host and q.kind = 'outbox'
                where q.available_at <= now() and (i.circuit is distinct from 'open' or i.next_attempt_at <= now())
               ) as age,
               (select count(*)::int from federation_dead_letters) as dead`,
    );
    return { depth: row?.depth ?? 0, oldestDueAgeSeconds: Math.max(0, row?.age ?? 0), dead: row?.dead ?? 0 };
  }

  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options?: MessageQueueListenOptions,
  ): Promise<void> {
    const signal = options?.signal;
    this.#stopping = false;
    await this.#subscribe();
    await this.deleteOrphanedPayloads().catch((error: unknown) =>
      this.#logger.warn("Deleting orphaned federation queue payloads failed: {error}", { error }),
    );
    this.#startRenewal();
    const onAbort = () => this.wake();
    let failures = 0;
    signal?.addEventListener("abort", onAbort);
    try {
      while (!signal?.aborted && !this.#stopping) {
        // Claims are coalesced: while tasks run and fewer than a batch of slots are free, wait a moment
        // for more to finish, so that a busy worker claims several tasks per query instead of one per
        // finished task (the claim is the queue's most expensive statement).
        if (this.#inflight.size > 0 && this.#tuning.concurrency - this.#inflight.size < this.#claimBatch)
          await delay(CLAIM_COALESCE_MS);
        const free = this.#tuning.concurrency - this.#inflight.size;
        let claimed = 0;
        if (free > 0) {
          let tasks: QueueTask[];
          try {
            tasks = await this.#claim(free);
            failures = 0;
          } catch (error) {
            // Database unavailable: back off (up to 5 s) and say so once per streak, not once per poll.
            if (failures++ === 0)
              this.#logger.warn("Claiming queued federation tasks failed: {error}", { error });
            await this.#sleep(Math.min(5000, this.#tuning.pollMs * 2 ** Math.min(failures, 6)));
            continue;
          }
          claimed = tasks.length;
          for (const task of tasks) this.#start(task, handler);
        }
        if (claimed > 0 && claimed === free) await this.#sleep(this.#tuning.pollMs);
        else if (claimed === 0) await this.#sleep(this.#interval());
      }
    } finally {
      // Tasks still running keep their leases until they end or drain() releases them.
      if (this.#inflight.size === 0) this.#stopRenewal();
      signal?.removeEventListener("abort", onAbort);
      await this.#unlisten?.().catch(() => {});
      this.#unlisten = undefined;
    }
  }

  /**
   * Stops claiming and waits for running tasks (up to `timeoutMs`); tasks still running then are
   * released so that the next worker takes them at once instead of after the lease.
   */
  async drain(timeoutMs: number): Promise<{ unfinished: number }> {
    this.#stopping = true;
    this.wake();
    // Leases keep being renewed while running tasks finish; the unfinished ones are released below.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inflight.values()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#stopRenewal();
    const unfinished = [...this.#inflight.keys()];
    if (unfinished.length > 0) {
      await quiet(
        () =>
          this.#sql`update federation_queue set locked_until = null where id = any(${unfinished}::bigint[])`,
      ).catch(() => {});
    }
    return { unfinished: unfinished.length };
  }

  #completed: { ids: string[]; done: Promise<void> } | undefined;

  /** Deletes finished tasks in small batches (one statement per ~10 ms instead of one per task). */
  #complete(id: string): Promise<void> {
    if (!this.#completed) {
      const batch: { ids: string[]; done: Promise<void> } = { ids: [], done: Promise.resolve() };
      batch.done = new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() => {
        if (this.#completed === batch) this.#completed = undefined;
        return quiet(async () => {
          const done = await this.#sql<{ payload_id: string | null }[]>`
            delete from federation_queue where id = any(${batch.ids}::bigint[]) returning payload_id`;
          await this.#deleteUnreferencedPayloads(done.map((r) => r.payload_id));
        });
      });
      this.#completed = batch;
    }
    this.#completed.ids.push(id);
    return this.#completed.done;
  }

  /**
   * Extends the leases of the tasks this process runs, every third of the lease, so a lease can be short
   * (a crashed worker's tasks return quickly) while a delivery may take longer than it. A task that
   * ended in the meantime is not touched: it was deleted, or its retry cleared `locked_until`.
   */
  #startRenewal(): void {
    this.#stopRenewal();
    const every = Math.max(100, Math.floor(this.#tuning.leaseMs / 3));
    this.#renewal = setInterval(() => {
      const ids = [...this.#inflight.keys()];
      if (ids.length === 0) return;
      void quiet(
        () => this.#sql`update federation_queue
          set locked_until = now() + ${this.#tuning.leaseMs} * interval '1 millisecond'
          where id = any(${ids}::bigint[]) and locked_until is not null`,
      ).catch((error: unknown) =>
        // Database unavailable: the lease may lapse and another worker take the task (a duplicate).
        this.#logger.warn("Renewing federation task leases failed: {error}", { error }),
      );
    }, every);
    this.#renewal.unref?.();
  }

  #stopRenewal(): void {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  #interval(): number {
    return Date.now() < this.#fastUntil ? Math.min(25, this.#tuning.pollMs) : this.#tuning.pollMs;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#resolveSleep = undefined;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#resolveSleep = finish;
    });
  }

  async #subscribe(): Promise<void> {
    if (!this.#notify) return;
    try {
      const { unlisten } = await this.#sql.listen("federation_queue", () => this.wake());
      this.#unlisten = unlisten;
    } catch (error) {
      this.#logger.info("LISTEN unavailable, polling only: {error}", { error });
    }
  }

  async #claim(limit: number): Promise<QueueTask[]> {
    const perHost = this.#tuning.perHost;
    const busy = [...this.#hostInflight];
    const saturated = busy.filter(([, n]) => n >= perHost).map(([host]) => host);
    const busyHosts = busy.map(([host]) => host);
    const busyCounts = busy.map(([, n]) => n);
    return quiet(async () => {
      // Candidates: due, unleased, head of their ordering key, host circuit closed or due for a probe;
      // at most `perHost` per host (one while the circuit is open), oldest first across hosts. Then
      // lease them atomically (the re-check in the UPDATE makes concurrent workers take distinct rows).
      const rows = await this.#sql<
        (Omit<QueueTask, "probe"> & {
          payload_id: string | null;
          payload_body: string | null;
          circuit: string | null;
          reclaimed: boolean;
        })[]
      >`
        with recursive hosts(host) as (
          -- Every distinct host with queued tasks, by a loose index scan (one probe per host), so a
          -- host with a huge backlog cannot push the others out of the candidate set.
          (select host from federation_queue where host is not null order by host limit 1)
          union all
          select (select q.host from federation_queue q where q.host > h.host order by q.host limit 1)
          from hosts h where h.host is not null
        ), due as (
          -- Per host, its oldest due and unleased tasks that head their ordering key. Filtering the
          -- heads before the limit matters: tasks queued behind a lease (a dead worker's, say) must
          -- not fill the window and hide the host's independent tasks.
          select c.* from hosts h
          cross join lateral (
            select q.id, q.host, q.kind, q.available_at, q.locked_until from federation_queue q
            where q.host = h.host and q.available_at <= now()
              and (q.locked_until is null or q.locked_until < now())
              and (q.ordering_key is null or not exists (
                    select 1 from federation_queue o where o.ordering_key = q.ordering_key and o.id < q.id))
            order by q.available_at, q.id limit ${perHost * 4}
          ) c
          where h.host is not null and not (h.host = any(${saturated}::text[]))
          union all
          (select q.id, q.host, q.kind, q.available_at, q.locked_until from federation_queue q
           where q.host is null and q.available_at <= now() and (q.locked_until is null or q.locked_until < now())
             and (q.ordering_key is null or not exists (
                   select 1 from federation_queue o where o.ordering_key = q.ordering_key and o.id < q.id))
           order by q.available_at, q.id limit ${limit * 4})
        ), candidates as (
          select d.id, d.host, d.kind, d.available_at, d.locked_until, i.circuit, coalesce(f.n, 0) as running,
                 row_number() over (partition by coalesce(d.host, d.id::text) order by d.available_at, d.id) as rn
          from due d
          left join federation_instances i on i.host = d.host and d.kind = 'outbox'
          left join unnest(${busyHosts}::text[], ${busyCounts}::int[]) as f(host, n) on f.host = d.host
          where i.host is null or i.circuit = 'closed' or i.next_attempt_at <= now()
        ), picked as (
          select id, circuit, locked_until is not null as reclaimed from candidates
          where rn <= case when circuit = 'open' then 1 else ${perHost} end - running
          order by available_at, id limit ${limit}
        ), leased as (
          update federation_queue q
          set locked_until = now() + ${this.#tuning.leaseMs} * interval '1 millisecond', attempts = q.attempts + 1
          from picked
          where q.id = picked.id and (q.locked_until is null or q.locked_until < now())
          returning q.id, q.kind, q.host, q.message, q.payload_id, q.attempts, q.created_at, picked.circuit,
                    picked.reclaimed
        )
        -- A fan-out's shared fields, read in this statement (once per payload among the leased rows):
        -- no second round trip after the lease, and the row lock taken above keeps the payload alive.
        select l.*, case when l.payload_id is not null
                          and row_number() over (partition by l.payload_id order by l.id) = 1
                    then (select p.body::text from federation_queue_payloads p where p.id = l.payload_id)
               end as payload_body
        from leased l`;
      const reclaimed = rows.filter((r) => r.reclaimed).length;
      if (reclaimed > 0) {
        this.#policy?.reclaimed?.(reclaimed);
        this.#logger.warn(
          "Reclaimed {reclaimed} federation tasks whose lease expired (their worker stopped without finishing them; each may be delivered twice)",
          { reclaimed },
        );
      }
      // A probe per open circuit: push its next attempt so no other claim sends a second one meanwhile.
      const probed = [...new Set(rows.filter((r) => r.circuit === "open").map((r) => r.host))];
      if (probed.length > 0) {
        await this.#sql`update federation_instances
          set next_attempt_at = now() + ${this.#tuning.leaseMs} * interval '1 millisecond'
          where host = any(${probed as string[]}::text[]) and circuit = 'open'`;
      }
      const bodies = new Map<string, string>();
      for (const r of rows) if (r.payload_body !== null) bodies.set(String(r.payload_id), r.payload_body);
      const tasks: QueueTask[] = [];
      for (const { circuit, reclaimed: _, payload_id, payload_body: __, message, ...r } of rows) {
        const body = payload_id === null ? undefined : bodies.get(String(payload_id));
        if (payload_id !== null && body === undefined) {
          // Cannot happen while the lease holds; never hand over a message without its shared fields.
          this.#logger.error("Federation task {id} has no payload {payload}", {
            id: r.id,
            payload: payload_id,
          });
          continue;
        }
        tasks.push({
          ...r,
          id: String(r.id),
          // Parsed per task, as each task's own message is: a handler cannot alter another task's message.
          message: body === undefined ? message : { ...JSON.parse(body), ...message },
          probe: circuit === "open",
        });
      }
      return tasks;
    });
  }

  #start(task: QueueTask, handler: (message: unknown) => Promise<void> | void): void {
    // Counted against its host from the claim on, until the handler really ends (even after a timeout).
    const host = task.host;
    if (host) this.#hostInflight.set(host, (this.#hostInflight.get(host) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released || !host) return;
      released = true;
      const left = (this.#hostInflight.get(host) ?? 1) - 1;
      if (left <= 0) this.#hostInflight.delete(host);
      else this.#hostInflight.set(host, left);
    };
    const run = this.#run(task, handler, release).finally(() => {
      this.#inflight.delete(task.id);
      this.wake();
    });
    this.#inflight.set(task.id, run);
  }

  async #run(
    task: QueueTask,
    handler: (message: unknown) => Promise<void> | void,
    release: () => void,
  ): Promise<void> {
    const policy = this.#policy;
    let handedOver = false;
    try {
      const refusal = await policy?.before(task);
      if (refusal) {
        await this.#bury(task, refusal, refusal);
        return;
      }
      const attempt: { error?: unknown } = {};
      let thrown: unknown;
      let threw = false;
      const handling = attemptStorage.run(attempt, async () => {
        const local = this.#localHandlers.get(task.kind);
        await (local ? local(task.message) : handler(task.message));
      });
      handedOver = true;
      handling.then(release, release);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          handling,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(new DeliveryTimeoutError(`Task did not finish in ${this.#tuning.taskTimeoutMs} ms`)),
              this.#tuning.taskTimeoutMs,
            );
          }),
        ]);
      } catch (error) {
        thrown = error;
        threw = true;
      } finally {
        clearTimeout(timer);
      }
      const error = threw ? thrown : attempt.error;
      const decision = policy ? await policy.after(task, error, !threw) : undefined;
      if (!threw) {
        await this.#complete(task.id);
        return;
      }
      if (decision && "dead" in decision) {
        await this.#bury(task, decision.dead, describeError(error));
        return;
      }
      const retryInMs = decision?.retryInMs ?? 1000;
      const refund = decision?.refundAttempt ? 1 : 0;
      await quiet(
        () => this.#sql`update federation_queue
          set locked_until = null, last_error = ${describeError(error)}, attempts = attempts - ${refund},
              available_at = now() + ${retryInMs} * interval '1 millisecond'
          where id = ${task.id}`,
      );
    } catch (error) {
      // Bookkeeping failed (database unavailable): the lease expires and the task is tried again.
      this.#logger.error("Federation task {id} bookkeeping failed: {error}", { id: task.id, error });
    } finally {
      if (!handedOver) release();
    }
  }

  /**
   * Deletes the given payloads that no task refers to any more. Run after the deleting statement has
   * committed: of two workers finishing a fan-out's last tasks at once, the one checking last sees both
   * deletions. A payload this misses (a crash or a failed statement in between) is an orphan, deleted
   * by {@link deleteOrphanedPayloads}; the tasks themselves are done either way.
   */
  async #deleteUnreferencedPayloads(ids: (string | null)[]): Promise<void> {
    const distinct = [...new Set(ids.filter((id) => id !== null))];
    if (distinct.length === 0) return;
    await this.#deletePayloadsWithoutTasks(distinct).catch((error: unknown) =>
      this.#logger.warn("Deleting finished federation queue payloads failed: {error}", { error }),
    );
  }

  /**
   * Deletes payloads no task refers to (see above); returns how many. Safe beside other workers: a
   * payload and its tasks are inserted by one statement, so no snapshot sees the one without the other.
   * Run when a worker starts listening and periodically by the worker (federation/service.ts).
   */
  deleteOrphanedPayloads(): Promise<number> {
    return this.#deletePayloadsWithoutTasks(undefined);
  }

  /** The one rule for both: a payload goes when no task refers to it (among `ids`, or any). */
  async #deletePayloadsWithoutTasks(ids: string[] | undefined): Promise<number> {
    const sql = this.#sql;
    const rows = await quiet(
      () => sql`delete from federation_queue_payloads p
        where ${ids ? sql`p.id = any(${ids}::bigint[])` : sql`true`}
          and not exists (select 1 from federation_queue q where q.payload_id = p.id)
        returning 1`,
    );
    return rows.length;
  }

  async #bury(task: QueueTask, reason: string, lastError: string): Promise<void> {
    await quiet(() =>
      this.#sql.begin(async (tx) => {
        await tx`insert into federation_dead_letters (id, kind, host, message, attempts, reason, last_error, created_at)
          select q.id, q.kind, q.host, coalesce(p.body, '{}') || q.message, q.attempts, ${reason}, ${lastError},
                 q.created_at
          from federation_queue q left join federation_queue_payloads p on p.id = q.payload_id
          where q.id = ${task.id}
          on conflict (id) do nothing`;
        const done = await tx<{ payload_id: string | null }[]>`
          delete from federation_queue where id = ${task.id} returning payload_id`;
        return done.map((r) => r.payload_id);
      }),
    ).then((payloadIds) => this.#deleteUnreferencedPayloads(payloadIds));
    this.#logger.warn("Federation task {id} ({kind} to {host}) given up: {reason}", {
      id: task.id,
      kind: task.kind,
      host: task.host,
      reason,
    });
  }
}

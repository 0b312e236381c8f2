import type { MessageQueueEnqueueOptions } from "@fedify/fedify";
import type { Sql } from "../platform/db/client.ts";
import { replaceUnstorableDeep } from "../platform/db/text.ts";
import { referenceId } from "./audience.ts";
import { durationMs } from "./durations.ts";

/** Rows of `federation_queue` and the contract between the queue and the delivery policy. */

export class DeliveryTimeoutError extends Error {
  override name = "DeliveryTimeoutError";
}

export interface QueueTuning {
  /** Tasks handled at once by this process. */
  concurrency: number;
  /** Tasks for one remote host handled at once: one slow or abusive host cannot take every slot. */
  perHost: number;
  pollMs: number;
  /** How long a claimed task stays invisible to other workers; a crashed worker's tasks return after it. */
  leaseMs: number;
  /** A task whose handler runs longer is treated as failed (timeout); its host slot stays taken until it ends. */
  taskTimeoutMs: number;
}

/** One row of `federation_queue` as handed to the worker. */
export interface QueueTask {
  id: string;
  kind: string;
  host: string | null;
  message: Record<string, unknown>;
  attempts: number;
  created_at: string | Date;
  /** Sent as the half-open probe of an open circuit. */
  probe: boolean;
}

/** What the queue does with a task whose handler failed. */
export type FailureDecision = { retryInMs: number; refundAttempt?: boolean } | { dead: string };

/**
 * The delivery policy, outside the queue: it sees every task before and after Fedify handles it.
 * `before` may refuse a task (dead-lettered with the returned reason); `after` gets the error Fedify
 * reported for the attempt (thrown, or passed to onOutboxError when Fedify itself finished the task).
 */
export interface TaskPolicy {
  before(task: QueueTask): Promise<string | undefined>;
  after(task: QueueTask, error: unknown, handledByFedify: boolean): Promise<FailureDecision | undefined>;
}

/** Kind and remote host of a Fedify message, stored in their own columns for fairness and health. */
export function describe(message: Record<string, unknown>): { kind: string; host: string | null } {
  const kind = typeof message.type === "string" ? message.type : "other";
  let url: unknown;
  if (kind === "outbox") url = message.inbox;
  else if (kind === "inbox") url = referenceId((message.activity as { actor?: unknown } | undefined)?.actor);
  if (typeof url !== "string" || !URL.canParse(url)) return { kind, host: null };
  return { kind, host: new URL(url).host };
}

/**
 * The ordering key of a queued message: the one the caller gave; else, for Fedify's messages about an
 * object, the object id, per inbox for a delivery. So the fan-outs (`kind` "fanout") of the activities
 * about one object (its Create, Update and Delete) run in the order they were queued, and so do its
 * deliveries (`kind` "outbox", key `<object id>\n<inbox>`) to each inbox, while deliveries to different
 * inboxes never wait for each other.
 *
 * Why not Fedify's own `sendActivity({ orderingKey })`: Fedify then keys each delivery per inbox
 * *origin*, so the 50 inboxes of one host are delivered one at a time, and it enqueues each of a
 * fan-out's messages with its own `enqueue()` call (one INSERT and one NOTIFY per recipient instead of
 * one `enqueueMany()` per fan-out).
 */
export function orderingKeyOf(
  kind: string,
  message: Record<string, unknown>,
  options: MessageQueueEnqueueOptions | undefined,
): string | null {
  if (options?.orderingKey) return options.orderingKey;
  if (kind !== "outbox" && kind !== "fanout") return null;
  const objectId = referenceId((message.activity as { object?: unknown } | undefined)?.object);
  if (objectId === undefined) return null;
  if (kind === "fanout") return objectId;
  return typeof message.inbox === "string" ? `${objectId}\n${message.inbox}` : null;
}

/**
 * The top-level fields every message of a batch holds as the same object (by reference), e.g. the
 * activity document and signing keys Fedify puts into each outbox message of one fan-out: stored once
 * for the batch (`federation_queue_payloads`) instead of once per task. `undefined` when the batch
 * shares none (or is one message).
 */
function sharedFields(messages: readonly Record<string, unknown>[]): string[] | undefined {
  const [first, ...rest] = messages;
  if (!first || rest.length === 0) return undefined;
  const shared = Object.keys(first).filter((key) => {
    const value = first[key];
    return typeof value === "object" && value !== null && rest.every((m) => m[key] === value);
  });
  return shared.length > 0 ? shared : undefined;
}

/**
 * Inserts queue tasks, in one statement. A task's message may carry a remote activity as received
 * (Fedify queues inbox activities after verifying their signature): its text goes through the
 * platform's one rule for machine feeds (platform/db/text.ts), so U+0000 or an unpaired surrogate cannot
 * make the jsonb insert fail (SQLSTATE 22P05) and the sender's post is kept. What the messages share
 * ({@link sharedFields}) is inserted once as the tasks' payload; each task keeps the rest.
 */
export async function insertTasks(
  sql: Sql,
  messages: readonly unknown[],
  options: MessageQueueEnqueueOptions | undefined,
): Promise<void> {
  const delay = options?.delay ? durationMs(options.delay) : 0;
  const all = messages as readonly Record<string, unknown>[];
  const shared = sharedFields(all);
  const payload = shared && replaceUnstorableDeep(Object.fromEntries(shared.map((k) => [k, all[0]?.[k]])));
  const rows = all.map((m) => {
    const own = replaceUnstorableDeep(
      shared ? Object.fromEntries(Object.entries(m).filter(([key]) => !shared.includes(key))) : m,
    );
    // Kind, host and ordering key come from the whole message, as the worker will see it.
    const message = payload ? { ...payload, ...own } : own;
    const { kind, host } = describe(message);
    return { kind, host, ordering_key: orderingKeyOf(kind, message, options), message: own, delay_ms: delay };
  });
  await sql`
    with payload as (
      insert into federation_queue_payloads (body) select ${payload ? sql.json(payload as never) : null}::jsonb
      where ${payload !== undefined}
      returning id
    )
    insert into federation_queue (kind, host, ordering_key, message, available_at, payload_id)
    select kind, host, ordering_key, message, now() + delay_ms * interval '1 millisecond',
           (select id from payload)
    from jsonb_to_recordset(${sql.json(rows as never)}::jsonb)
      as t(kind text, host text, ordering_key text, message jsonb, delay_ms float8)`;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}

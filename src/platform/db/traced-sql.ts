import { type Attributes, type Span, SpanKind, trace } from "@opentelemetry/api";
import type { Sql } from "postgres";
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_RETURNED_ROWS,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from "../telemetry/attributes.ts";
import { recordFailure } from "../telemetry/spans.ts";
import { DatabaseTimeoutError } from "./unavailable.ts";

/** Counts statements in flight so the pool gauges can report active and waiting clients. */
export interface PoolUsage {
  readonly max: number;
  inFlight: number;
}

export interface DatabaseTarget {
  namespace: string;
  serverAddress: string;
  serverPort: number;
}

interface StatementInfo {
  text: string;
  operation: string;
  collection: string | undefined;
  spanName: string;
}

const tracer = trace.getTracer("fediflow-db");
// Template string arrays are identical objects for every call of the same tagged template, so their
// parsed form is computed once per call site instead of once per query.
const statementCache = new WeakMap<TemplateStringsArray, StatementInfo>();
const collectionPattern =
  /\b(?:from|into|update|join|table)\s+(?:if\s+(?:not\s+)?exists\s+)?("?[a-z_][a-z0-9_.]*"?)/i;
const comments = /--[^\n]*|\/\*[\s\S]*?\*\//g;

function describeStatement(text: string): StatementInfo {
  const code = text.replace(comments, " ").trim();
  const operation = /^([a-z]+)/i.exec(code)?.[1]?.toUpperCase() ?? "QUERY";
  // A script of several statements (a migration) has no single collection.
  const script = /;\s*\S/.test(code);
  const collection = script ? undefined : collectionPattern.exec(code)?.[1]?.replaceAll('"', "");
  const spanName = collection ? `${operation} ${collection}` : operation;
  return { text: code.replace(/\s+/g, " "), operation, collection, spanName };
}

function statementOf(strings: TemplateStringsArray): StatementInfo {
  let info = statementCache.get(strings);
  if (!info) {
    info = describeStatement(strings.reduce((text, part, index) => `${text}$${index}${part}`));
    statementCache.set(strings, info);
  }
  return info;
}

/**
 * A map that forgets everything once it holds `limit` entries: memoises work keyed by strings that are
 * nearly always the same few (statement texts), and stays bounded when they are not.
 */
function memoise<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  const entries = new Map<string, T>();
  return (key) => {
    let value = entries.get(key);
    if (value === undefined) {
      if (entries.size >= limit) entries.clear();
      value = compute(key);
      entries.set(key, value);
    }
    return value;
  };
}

// sql.unsafe() texts (column lists spliced into queries, migrations) are constants in practice.
const unsafeStatementOf = memoise(256, describeStatement);
/** The statement postgres.js sent, as one line without comments (what spans carry as db.query.text). */
const oneLine = memoise(512, (sent) => sent.replace(comments, " ").replace(/\s+/g, " ").trim());

function isTemplateCall(args: unknown[]): args is [TemplateStringsArray, ...unknown[]] {
  return Array.isArray(args[0]) && "raw" in (args[0] as object);
}

/**
 * Where a handle runs its statements: the pool (a statement may wait for a connection), a transaction
 * (on the connection it holds), or a reserved connection (explicitly pinned work such as migrations
 * under an advisory lock, which may legitimately run long: not bounded).
 */
type Scope = "pool" | "transaction" | "reserved";

/**
 * Wraps a postgres.js client once so that every executed statement becomes an OpenTelemetry client span
 * with semantic-convention `db.*` attributes (postgres.js has no auto-instrumentation). Queries are lazy in
 * postgres.js: a fragment that is only interpolated into another query is never awaited and gets no span.
 *
 * With `timeoutMs`, a statement of the pool or of a transaction, and the wait of `begin` for its
 * connection, rejects with DatabaseTimeoutError after that many ms: during an outage postgres.js keeps
 * queries queued across its reconnect back-off, and a request must not wait that long. A pool statement
 * that was never sent is withdrawn from the queue, so a request answered 503 never writes later; one
 * already sent is left to finish or fail (a transaction then rolls back, as its callback rejected).
 */
export function traceSql(sql: Sql, target: DatabaseTarget, usage: PoolUsage, timeoutMs?: number): Sql {
  // A statement's span options are the same on every execution: built once per statement.
  const spanOptions = new WeakMap<StatementInfo, { kind: SpanKind; attributes: Attributes }>();
  const optionsOf = (info: StatementInfo) => {
    let options = spanOptions.get(info);
    if (!options) {
      options = {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
          [ATTR_DB_NAMESPACE]: target.namespace,
          [ATTR_SERVER_ADDRESS]: target.serverAddress,
          [ATTR_SERVER_PORT]: target.serverPort,
          [ATTR_DB_OPERATION_NAME]: info.operation,
          ...(info.collection ? { [ATTR_DB_COLLECTION_NAME]: info.collection } : {}),
        },
      };
      spanOptions.set(info, options);
    }
    return options;
  };

  function instrument<Q extends PromiseLike<unknown>>(query: Q, info: StatementInfo, scope: Scope): Q {
    const original = query.then;
    const bound = scope === "reserved" ? undefined : timeoutMs;
    let outcome: Promise<unknown> | undefined;
    const run = (): Promise<unknown> => {
      // db.query.text is set once the statement settles: then postgres.js knows the text it really sent.
      const span: Span = tracer.startSpan(info.spanName, optionsOf(info));
      usage.inFlight++;
      return new Promise((resolve, reject) => {
        let settled = false;
        const timer =
          bound === undefined
            ? undefined
            : setTimeout(() => {
                if (settled) return;
                settled = true;
                usage.inFlight--;
                // Still waiting for a connection (never handed to one): cancelling only removes it from
                // the pool's queue. Transaction statements are not cancelled: that would strand the
                // transaction's own queue; the transaction rolls back when its callback rejects.
                if (scope === "pool" && !(query as { state?: unknown }).state)
                  (query as unknown as { cancel(): void }).cancel();
                const error = new DatabaseTimeoutError(bound);
                span.setAttribute(ATTR_DB_QUERY_TEXT, info.text);
                recordFailure(span, error);
                span.end();
                reject(error);
              }, bound);
        original.call(
          query,
          (rows) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            usage.inFlight--;
            // The text postgres.js really sent: fragments and sql.unsafe() parts are expanded in it,
            // values are still $n parameters.
            const sent = (rows as { statement?: { string?: string } } | undefined)?.statement?.string;
            span.setAttribute(ATTR_DB_QUERY_TEXT, sent ? oneLine(sent) : info.text);
            if (Array.isArray(rows)) span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, rows.length);
            span.end();
            resolve(rows);
          },
          (error: unknown) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            usage.inFlight--;
            span.setAttribute(ATTR_DB_QUERY_TEXT, info.text);
            const code = (error as { code?: unknown }).code;
            if (typeof code === "string") span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
            recordFailure(span, error);
            span.end();
            reject(error);
          },
        );
      });
    };
    // biome-ignore lint/suspicious/noThenProperty: postgres.js queries are thenables; wrapping `then` is how their execution is observed.
    Object.defineProperty(query, "then", {
      configurable: true,
      value: (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => {
        outcome ??= run();
        return outcome.then(onFulfilled, onRejected);
      },
    });
    return query;
  }

  /**
   * `begin` bounded: the wait for its connection rejects after `timeoutMs`; a transaction that gets its
   * connection after the caller gave up rolls back at once instead of running. Once the callback has
   * settled, its COMMIT or ROLLBACK (which postgres.js sends itself, unbounded) has `timeoutMs` too: a
   * connection wedged across a restart must not hold the request. The server then ends that transaction
   * (idle_in_transaction_session_timeout, client.ts), which closes the connection and returns it to the pool.
   */
  function boundedBegin(
    begin: (...args: unknown[]) => Promise<unknown>,
    args: unknown[],
    callback: (tx: Sql) => unknown,
  ): Promise<unknown> {
    if (timeoutMs === undefined) return begin(...args, (tx: Sql) => callback(wrap(tx, "transaction")));
    const bound = timeoutMs;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const giveUp = () => reject(new DatabaseTimeoutError(bound));
    let abandoned = false;
    // One bound at a time: first the wait for a connection, then (once the callback has settled) the
    // COMMIT or ROLLBACK; in between, every statement has its own.
    let timer = setTimeout(() => {
      abandoned = true;
      giveUp();
    }, bound);
    begin(...args, (tx: Sql) => {
      if (abandoned) throw new DatabaseTimeoutError(bound);
      clearTimeout(timer);
      const work = Promise.resolve(callback(wrap(tx, "transaction")));
      const boundEnd = () => {
        timer = setTimeout(giveUp, bound);
      };
      work.then(boundEnd, boundEnd);
      return work;
    }).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
    return promise;
  }

  function wrap(client: Sql, scope: Scope): Sql {
    return new Proxy(client, {
      apply(fn, thisArg, args: unknown[]) {
        const result = Reflect.apply(fn, thisArg, args);
        return isTemplateCall(args) ? instrument(result, statementOf(args[0]), scope) : result;
      },
      get(fn, property, receiver) {
        const value = Reflect.get(fn, property, receiver);
        switch (property) {
          case "unsafe":
            return (text: string, ...rest: unknown[]) =>
              instrument(value.call(fn, text, ...rest), unsafeStatementOf(text), scope);
          case "begin":
            return (...args: unknown[]) => {
              const callback = args.pop() as (tx: Sql) => unknown;
              return boundedBegin((...all: unknown[]) => value.call(fn, ...all), args, callback);
            };
          case "savepoint":
            return (...args: unknown[]) => {
              const callback = args.pop() as (tx: Sql) => unknown;
              return value.call(fn, ...args, (tx: Sql) => callback(wrap(tx, scope)));
            };
          case "reserve":
            return async () => wrap(await value.call(fn), "reserved");
          default:
            return value;
        }
      },
    });
  }

  return wrap(sql, "pool");
}

import { context, type Span, SpanKind, trace } from "@opentelemetry/api";
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

function isTemplateCall(args: unknown[]): args is [TemplateStringsArray, ...unknown[]] {
  return Array.isArray(args[0]) && "raw" in (args[0] as object);
}

/**
 * Wraps a postgres.js client once so that every executed statement becomes an OpenTelemetry client span
 * with semantic-convention `db.*` attributes (postgres.js has no auto-instrumentation). Queries are lazy in
 * postgres.js: a fragment that is only interpolated into another query is never awaited and gets no span.
 */
export function traceSql(sql: Sql, target: DatabaseTarget, usage: PoolUsage): Sql {
  const baseAttributes = {
    [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
    [ATTR_DB_NAMESPACE]: target.namespace,
    [ATTR_SERVER_ADDRESS]: target.serverAddress,
    [ATTR_SERVER_PORT]: target.serverPort,
  };

  function instrument<Q extends PromiseLike<unknown>>(query: Q, info: StatementInfo): Q {
    const execute = query.then.bind(query);
    let outcome: Promise<unknown> | undefined;
    const run = (): Promise<unknown> => {
      const span: Span = tracer.startSpan(
        info.spanName,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            ...baseAttributes,
            [ATTR_DB_OPERATION_NAME]: info.operation,
            [ATTR_DB_QUERY_TEXT]: info.text,
            ...(info.collection ? { [ATTR_DB_COLLECTION_NAME]: info.collection } : {}),
          },
        },
        context.active(),
      );
      usage.inFlight++;
      return new Promise((resolve, reject) => {
        execute(
          (rows) => {
            usage.inFlight--;
            // The text postgres.js really sent: fragments and sql.unsafe() parts are expanded in it,
            // values are still $n parameters.
            const sent = (rows as { statement?: { string?: string } } | undefined)?.statement?.string;
            if (sent)
              span.setAttribute(ATTR_DB_QUERY_TEXT, sent.replace(comments, " ").replace(/\s+/g, " ").trim());
            if (Array.isArray(rows)) span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, rows.length);
            span.end();
            resolve(rows);
          },
          (error: unknown) => {
            usage.inFlight--;
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

  function wrap(client: Sql): Sql {
    return new Proxy(client, {
      apply(fn, thisArg, args: unknown[]) {
        const result = Reflect.apply(fn, thisArg, args);
        return isTemplateCall(args) ? instrument(result, statementOf(args[0])) : result;
      },
      get(fn, property, receiver) {
        const value = Reflect.get(fn, property, receiver);
        switch (property) {
          case "unsafe":
            return (text: string, ...rest: unknown[]) =>
              instrument(value.call(fn, text, ...rest), describeStatement(text));
          case "begin":
          case "savepoint":
            return (...args: unknown[]) => {
              const callback = args.pop() as (tx: Sql) => unknown;
              return value.call(fn, ...args, (tx: Sql) => callback(wrap(tx)));
            };
          case "reserve":
            return async () => wrap(await value.call(fn));
          default:
            return value;
        }
      },
    });
  }

  return wrap(sql);
}

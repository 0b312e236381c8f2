import type { Context } from "hono";
import type { ConnInfo } from "hono/conninfo";

// Each runtime's adapter puts the connection into the context's env differently, and hono ships a
// reader for each. Only the running runtime's is loaded: `hono/bun` touches the Bun global on import.
const runtime = globalThis as { Bun?: unknown; Deno?: unknown };
const connInfo: (c: Context) => ConnInfo = runtime.Bun
  ? (await import("hono/bun")).getConnInfo
  : runtime.Deno
    ? (await import("hono/deno")).getConnInfo
    : (await import("@hono/node-server/conninfo")).getConnInfo;

/**
 * The peer address of the request's connection, or undefined when there is none (a request handed to
 * `app.request()` in process never crossed a socket).
 */
export function clientAddress(c: Context): string | undefined {
  if (!c.env) return undefined;
  try {
    return connInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

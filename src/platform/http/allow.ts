import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

/**
 * What a path supports, for the answers a router gives when no handler matched (RFC 9110):
 * - `Allow` (§10.2.1) lists the methods the target resource supports; HEAD wherever GET is, because a
 *   server that answers GET must answer HEAD (§9.3.2, and hono does), and OPTIONS, which every known
 *   resource answers (§9.3.7).
 * - An unknown path has no `Allow`: it is 404, not 405.
 *
 * Paths are matched by the same routers, in the same strict mode, as hono's default app router, so
 * `/courses/` is as unknown here as it is to the app (the trailing slash is part of the path).
 */
export interface AllowIndex {
  /** The methods `path` supports, in a fixed order, or undefined when no route has that path. */
  allowed(path: string): string[] | undefined;
}

const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Builds the index from the app's route list (`app.routes`); middleware entries (method ALL) are skipped. */
export function allowIndex(routes: readonly { method: string; path: string }[]): AllowIndex {
  const router = new SmartRouter<string>({ routers: [new RegExpRouter(), new TrieRouter()] });
  let empty = true;
  for (const { method, path } of routes) {
    if (method === "ALL") continue;
    // Registered under ALL so one lookup returns every method of the path.
    router.add("ALL", path, method.toUpperCase());
    empty = false;
  }
  return {
    allowed(path) {
      if (empty) return undefined;
      const methods = new Set(router.match("GET", path)[0].map(([handler]) => handler));
      if (methods.size === 0) return undefined;
      if (methods.has("GET")) methods.add("HEAD");
      methods.add("OPTIONS");
      return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    },
  };
}

function rank(method: string): number {
  const index = ORDER.indexOf(method);
  return index === -1 ? ORDER.length : index;
}

/**
 * Methods this service recognizes: RFC 9110 §9, PATCH (RFC 5789) and QUERY (the safe method with a
 * body, draft-ietf-httpbis-safe-method-w-body); on a known path they get 405 with `Allow`. Method names
 * are case-sensitive (§9.1): `get` is not GET. Any other method gets 501 Not Implemented (§15.6.2),
 * where the runtime's HTTP parser lets it through at all (Node refuses unknown tokens with 400 first).
 */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "CONNECT",
  "QUERY",
]);

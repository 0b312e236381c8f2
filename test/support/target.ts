import { loadConfig } from "../../src/config.ts";
import { createService } from "../../src/service.ts";
import { createTestDatabase } from "./database.ts";
import { ADMIN_TOKEN, type Runtime, spawnServer, testRuntime } from "./spawn.ts";

export { ADMIN_TOKEN };

/** A fetch-like function that sends `path` (starting with `/`) to the service under test. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

export interface Target {
  fetch: Fetcher;
  /** How the service runs: `in-process` (app.request, no socket) or the runtime a server was spawned on. */
  kind: "in-process" | Runtime;
  /** The spawned server's base URL (`http://127.0.0.1:PORT`); undefined in process. */
  url: string | undefined;
  /** The routes the app registered (`GET /api/v1/courses/:id`); known only when the app runs in process. */
  routes: { method: string; path: string }[] | undefined;
  close(): Promise<void>;
}

/** Settings every HTTP-level suite runs with (a fast password hash, a known admin token). */
const BASE_ENV = { ADMIN_TOKEN, PASSWORD_HASH_COST: "10", DATABASE_POOL_MAX: "4" };

/**
 * The service under test for the HTTP-level suites, so that one test body runs both ways:
 *
 * - by default the app runs in this process and every request goes through `app.request()`: a
 *   database of its own on the PostgreSQL server of TEST_DATABASE_URL (else embedded PGlite) and the
 *   in-process cache (the session store's Redis path is covered by the real-process suites);
 * - with FEDIFLOW_TEST_RUNTIME=node|bun|deno, the real server is started on that runtime
 *   (spawn.ts, Redis from TEST_REDIS_URL when set) and requests go over loopback HTTP.
 */
export async function startTarget(env: Record<string, string> = {}): Promise<Target> {
  const runtime = testRuntime();
  if (runtime) {
    const server = await spawnServer({ runtime, env: { ...BASE_ENV, ...env } });
    return {
      kind: runtime,
      url: server.url,
      fetch: (path, init) => fetch(`${server.url}${path}`, init),
      routes: undefined,
      async close() {
        await server.stop();
      },
    };
  }
  const database = await createTestDatabase();
  const service = await createService(loadConfig({ ...BASE_ENV, ...database.env, ...env }));
  service.lifecycle.ready = true;
  return {
    kind: "in-process",
    url: undefined,
    fetch: async (path, init) => service.app.request(path, init),
    routes: service.app.routes
      .filter((r) => r.method !== "ALL")
      .map(({ method, path }) => ({ method, path })),
    async close() {
      await service.close();
      await database.drop();
    },
  };
}

import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface RunningServer {
  port: number;
  /** Stops accepting connections and resolves when in-flight requests are done (or the timeout passed). */
  close(timeoutMs: number): Promise<void>;
}

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): { address: string } | null;
}
interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
const runtime = globalThis as {
  Bun?: { serve(options: object): BunServer };
  Deno?: {
    serve(
      options: object,
      handler: (request: Request, info: unknown) => Response | Promise<Response>,
    ): DenoServer;
  };
};

function withTimeout(work: Promise<void>, timeoutMs: number, onTimeout: () => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work,
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        onTimeout();
        resolve();
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Serves `fetch` with the runtime's own HTTP server: Node (via @hono/node-server), Bun or Deno. */
export async function startServer(
  fetch: Fetch,
  options: { port: number; host: string },
): Promise<RunningServer> {
  if (runtime.Bun) {
    const server = runtime.Bun.serve({ fetch, port: options.port, hostname: options.host });
    return {
      port: server.port,
      close: (timeoutMs) => withTimeout(server.stop(false), timeoutMs, () => void server.stop(true)),
    };
  }
  if (runtime.Deno) {
    const server = runtime.Deno.serve(
      { port: options.port, hostname: options.host, onListen: () => {} },
      fetch,
    );
    return {
      port: server.addr.port,
      close: (timeoutMs) => withTimeout(server.shutdown(), timeoutMs, () => {}),
    };
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port: options.port, hostname: options.host }, () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: (timeoutMs) =>
      withTimeout(new Promise<void>((resolve) => server.close(() => resolve())), timeoutMs, () =>
        (server as { closeAllConnections?: () => void }).closeAllConnections?.(),
      ),
  };
}

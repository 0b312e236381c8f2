import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { lingeringClose } from "./lingering-close.ts";

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface RunningServer {
  port: number;
  /**
   * From now on every response carries `Connection: close` (RFC 9112 §9.6), so kept-alive clients stop
   * sending here and open their next connection elsewhere. Called when shutdown begins.
   */
  drain(): void;
  /**
   * Stops accepting connections, closes idle kept-alive ones and resolves when in-flight requests are
   * answered; connections still open after `timeoutMs` are cut.
   */
  close(timeoutMs: number): Promise<void>;
}

export interface ServerOptions {
  port: number;
  host: string;
  /** Longest a client may take to send its headers, and its whole request (Node only; see below). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
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

/** Marks a response `Connection: close`; headers of some responses (Response.redirect) are immutable. */
function withConnectionClose(response: Response): Response {
  try {
    response.headers.set("Connection", "close");
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("Connection", "close");
    return copy;
  }
}

/**
 * `fetch` whose responses say `Connection: close` for requests that arrive once `draining()` is true
 * (Bun and Deno servers; Node sets the header on its response object). No extra step before that.
 */
function closingWhenDraining(fetch: Fetch, draining: () => boolean): Fetch {
  return (request, env) =>
    draining() ? Promise.resolve(fetch(request, env)).then(withConnectionClose) : fetch(request, env);
}

/**
 * Serves `fetch` with the runtime's own HTTP server: Node (via @hono/node-server), Bun or Deno. On
 * Node, clients that send their headers or their request too slowly are answered 408 and disconnected
 * (headersTimeout, requestTimeout, checked every second); Bun and Deno apply their own limits.
 */
export async function startServer(fetch: Fetch, options: ServerOptions): Promise<RunningServer> {
  let draining = false;
  const drain = () => {
    draining = true;
  };
  if (runtime.Bun) {
    const server = runtime.Bun.serve({
      fetch: closingWhenDraining(fetch, () => draining),
      port: options.port,
      hostname: options.host,
    });
    return {
      port: server.port,
      drain,
      close: (timeoutMs) => {
        drain();
        return withTimeout(server.stop(false), timeoutMs, () => void server.stop(true));
      },
    };
  }
  if (runtime.Deno) {
    const server = runtime.Deno.serve(
      { port: options.port, hostname: options.host, onListen: () => {} },
      closingWhenDraining(fetch, () => draining),
    );
    return {
      port: server.addr.port,
      drain,
      close: (timeoutMs) => {
        drain();
        return withTimeout(server.shutdown(), timeoutMs, () => {});
      },
    };
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch,
        port: options.port,
        hostname: options.host,
        serverOptions: {
          headersTimeout: options.headersTimeoutMs,
          requestTimeout: options.requestTimeoutMs,
          connectionsCheckingInterval: 1000,
        },
      },
      () => resolve(s),
    );
  });
  // A 413 sent before the body was read must reach a client still sending it (RFC 9112 §9.6).
  server.prependListener("request", lingeringClose());
  // Before the adapter's own listener, so the header is in place whenever the response is written.
  server.prependListener(
    "request",
    (_request: unknown, response: { setHeader(n: string, v: string): void }) => {
      if (draining) response.setHeader("Connection", "close");
    },
  );
  return {
    port: (server.address() as AddressInfo).port,
    drain,
    close: (timeoutMs) => {
      drain();
      // close() stops accepting and closes idle connections (Node >= 19); busy ones end after their
      // response, which carries Connection: close.
      return withTimeout(new Promise<void>((resolve) => server.close(() => resolve())), timeoutMs, () =>
        (server as { closeAllConnections?: () => void }).closeAllConnections?.(),
      );
    },
  };
}

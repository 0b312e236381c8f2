import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { referenceId } from "../../src/federation/audience.ts";

/** One activity POSTed to a recording inbox host. */
export interface InboxArrival {
  /** `127.0.0.1:port` of the inbox host. */
  host: string;
  /** The inbox path, e.g. `/users/3/inbox`. */
  inbox: string;
  type: string;
  /** The activity's object id (the object itself or its embedded `id`); "" without one. */
  object: string;
  /** performance.now() when the answer was sent. */
  at: number;
}

/**
 * Loopback "remote instances" for delivery tests: each host accepts every POST (202) after
 * `delayMs()` milliseconds and records it in `arrivals` (in answer order). Signatures are not checked:
 * these tests measure delivery, not authentication.
 */
export class InboxHosts {
  readonly arrivals: InboxArrival[] = [];
  readonly #servers: Server[] = [];
  readonly #delayMs: () => number;

  constructor(delayMs: () => number) {
    this.#delayMs = delayMs;
  }

  /** Starts `count` hosts; resolves their `127.0.0.1:port`. */
  start(count: number): Promise<string[]> {
    return Promise.all(Array.from({ length: count }, () => this.#startOne()));
  }

  async #startOne(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        const activity = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          type?: string;
          object?: unknown;
        };
        const object = referenceId(activity.object) ?? "";
        setTimeout(() => {
          this.arrivals.push({
            host: req.headers.host ?? "",
            inbox: req.url ?? "",
            type: String(activity.type),
            object,
            at: performance.now(),
          });
          res.writeHead(202).end();
        }, this.#delayMs());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#servers.push(server);
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const server of this.#servers) server.closeAllConnections();
    await Promise.all(this.#servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  /**
   * Rows of `federation_followers` for `perHost` remote followers of a local actor on each host, each
   * with its own inbox (`/users/{n}/inbox`, no shared inbox), so a fan-out cannot collapse to one
   * request per host. Tests insert them directly (no Follow handshake).
   */
  static followerRows(hosts: string[], perHost: number, local: { tenantId: string; actorId: string }) {
    return hosts.flatMap((host) =>
      Array.from({ length: perHost }, (_, n) => ({
        id: crypto.randomUUID(),
        tenant_id: local.tenantId,
        local_actor_id: local.actorId,
        actor_uri: `http://${host}/users/${n}`,
        inbox_uri: `http://${host}/users/${n}/inbox`,
        host,
      })),
    );
  }
}

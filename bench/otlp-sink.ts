/**
 * A local OTLP/HTTP receiver for the benchmark, in a process of its own so its work is not charged to
 * the load generator: accepts every export, discards it, and counts requests and bytes per path.
 * `GET /stats` answers the counts (the benchmark checks that traces and logs really arrived).
 * Prints `{"port": N}` as its first stdout line; stops on SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const stats: Record<string, { requests: number; bytes: number }> = {};
const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/stats") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    return;
  }
  const path = request.url ?? "/";
  const entry = stats[path] ?? { requests: 0, bytes: 0 };
  stats[path] = entry;
  entry.requests++;
  request.on("data", (chunk: Buffer) => {
    entry.bytes += chunk.length;
  });
  request.on("end", () => response.writeHead(200, { "content-type": "application/x-protobuf" }).end());
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

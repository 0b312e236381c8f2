import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { after, test } from "node:test";
import { lingeringClose } from "./lingering-close.ts";

const BODY_BYTES = 4 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** A server that refuses every body at once, as the body limit does: 413, Connection: close, body unread. */
async function refusingServer(linger: boolean): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(413, { "content-type": "text/plain", connection: "close" }).end("too large");
  });
  if (linger) server.prependListener("request", lingeringClose(2000));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

/**
 * Sends the headers of an upload of `contentLength` bytes (4 MiB) and its first 64 KiB, reads the whole
 * response (until the server closes its side), then writes 4 MiB more, as a client that does not look at
 * the response until it has sent everything would. Resolves with the response and the first write
 * error, if any.
 */
async function upload(
  server: Server,
  contentLength = BODY_BYTES,
): Promise<{ response: string; writeError?: string }> {
  const socket: Socket = connect({ port: (server.address() as AddressInfo).port, allowHalfOpen: true });
  await once(socket, "connect");
  socket.write(`POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${contentLength}\r\n\r\n`);
  socket.write(CHUNK);
  let response = "";
  socket.on("data", (data: Buffer) => {
    response += data.toString();
  });
  let writeError: string | undefined;
  socket.on("error", (error: NodeJS.ErrnoException) => {
    writeError ??= error.code ?? error.message;
  });
  await once(socket, "end");
  // The server has answered and ended its side; give it time to destroy the socket if it is going to.
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let sent = CHUNK.length; sent < BODY_BYTES && !writeError; sent += CHUNK.length) {
    await new Promise<void>((resolve) => socket.write(CHUNK, () => resolve()));
  }
  if (!writeError) {
    socket.end();
    await Promise.race([once(socket, "close"), new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  socket.destroy();
  return { response, writeError };
}

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

test("with a lingering close the client answered early can still send its whole body", async () => {
  const server = await refusingServer(true);
  servers.push(server);
  const { response, writeError } = await upload(server);
  assert.match(response, /^HTTP\/1\.1 413 /);
  assert.match(response, /\r\ntoo large\r\n/);
  assert.equal(writeError, undefined, "no reset while the rest of the body was sent");
});

test("without it Node resets the connection under a client still sending (what the listener fixes)", async () => {
  const server = await refusingServer(false);
  servers.push(server);
  const { response, writeError } = await upload(server);
  assert.match(response, /^HTTP\/1\.1 413 /);
  assert.match(String(writeError), /^(EPIPE|ECONNRESET)$/);
});

test("a request whose body was read is closed as Node closes it: no linger", async () => {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(200, { connection: "close" }).end("ok"));
  });
  server.prependListener("request", lingeringClose(2000));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  // The whole body (one chunk) is sent and read; what the client writes after the answer is refused.
  const { response, writeError } = await upload(server, CHUNK.length);
  assert.match(response, /^HTTP\/1\.1 200 /);
  assert.match(String(writeError), /^(EPIPE|ECONNRESET)$/);
});

import type { IncomingMessage, ServerResponse } from "node:http";

/** How long an unread request body keeps being read after the response: nginx's `lingering_timeout`. */
const LINGER_MS = 5000;

/** Whether the request announced a body: a Content-Length above 0, or a chunked one (RFC 9112 §6.3). */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}

/**
 * A lingering close (RFC 9112 §9.6) for Node's HTTP server, as a `request` listener. A response sent
 * with `Connection: close` before the request's body was read — a 413 for a body over the limit — makes
 * Node end the connection and destroy the socket as soon as the response is flushed; a client still
 * writing its body then gets a reset (EPIPE/ECONNRESET) and often never reads the answer. Here that
 * socket is half-closed instead: the response goes out with a FIN, the rest of the body is read and
 * discarded, and the socket is destroyed when the client closes its side, or after `lingerMs`.
 *
 * Node's own `finish` handling of the response (`resOnFinish`, which calls `socket.destroySoon()`:
 * end now, destroy on the socket's `finish`) is attached before the `request` event, so it runs first;
 * this listener then swaps the pending destroy for the linger. Requests whose body was read, or that
 * had none, are left alone.
 */
export function lingeringClose(lingerMs = LINGER_MS) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (!hasBody(request)) return;
    response.once("finish", () => {
      const { socket } = request;
      if (request.complete || socket.destroyed || !socket.listeners("finish").includes(socket.destroy))
        return;
      socket.removeListener("finish", socket.destroy);
      const timer = setTimeout(() => socket.destroy(), lingerMs);
      timer.unref();
      socket.once("end", () => socket.destroy());
      socket.once("close", () => clearTimeout(timer));
    });
  };
}

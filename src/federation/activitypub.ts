import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../platform/http/context.ts";
import { errorBody } from "../platform/http/errors-handler.ts";
import type { Metrics } from "../platform/telemetry/metrics.ts";
import { shortType } from "./delivery.ts";
import type { FederationService } from "./service.ts";

/** Request headers Fedify never needs and must never record on its spans. */
const STRIPPED_HEADERS = ["authorization", "proxy-authorization", "cookie", "x-api-key"];

/** Reads at most `limit` bytes; undefined when the body is larger (the rest is drained and dropped). */
async function readBounded(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  const reader = request.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = Number.isFinite(declared) && declared > limit;
  let drained = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (tooLarge) {
      // Read (up to the limit again) so the client sees the 413 instead of a reset connection.
      drained += value.byteLength;
      if (drained > limit) {
        await reader.cancel().catch(() => {});
        break;
      }
      continue;
    }
    size += value.byteLength;
    if (size > limit) {
      tooLarge = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(value);
  }
  if (tooLarge) return undefined;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Type and sender of a posted activity, for counting refusals; never trusted for anything else. */
function peek(body: Uint8Array): { type: string; host: string } {
  try {
    const json = JSON.parse(new TextDecoder().decode(body)) as { type?: unknown; actor?: unknown };
    const actor = typeof json.actor === "string" ? json.actor : (json.actor as { id?: unknown })?.id;
    return {
      type: shortType(Array.isArray(json.type) ? json.type[0] : json.type),
      host: typeof actor === "string" && URL.canParse(actor) ? new URL(actor).host : "unknown",
    };
  } catch {
    return { type: "other", host: "unknown" };
  }
}

/**
 * The ActivityPub surface, handed to Fedify's `federation.fetch()`: WebFinger, NodeInfo, actors, their
 * inboxes, outboxes and followers, and the shared inbox. Only these paths reach Fedify, with credential
 * headers removed; inbox bodies are size-limited. Each path is a Hono route so metrics and spans carry
 * its template. Refused inbox posts (bad signature, malformed) are counted as `rejected`.
 */
export function activityPubRoutes(federation: FederationService, metrics: Metrics, inboxLimitBytes: number) {
  const app = new Hono<AppEnv>();

  async function handle(c: Context<AppEnv>): Promise<Response> {
    const isPost = c.req.method === "POST";
    let body: Uint8Array | undefined;
    if (isPost) {
      body = await readBounded(c.req.raw, inboxLimitBytes);
      if (!body) {
        c.header("Connection", "close");
        return c.json(errorBody(c, "payload_too_large", `Activity exceeds ${inboxLimitBytes} bytes`), 413);
      }
    }
    const headers = new Headers(c.req.raw.headers);
    for (const name of STRIPPED_HEADERS) headers.delete(name);
    const request = new Request(c.req.url, {
      method: c.req.method,
      headers,
      ...(body ? { body } : {}),
    });
    const state: { outcome: "handled" | "not_found" | "not_acceptable" } = { outcome: "handled" };
    const response = await federation.federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => {
        state.outcome = "not_found";
        return new Response(null, { status: 404 });
      },
      onNotAcceptable: () => {
        state.outcome = "not_acceptable";
        return new Response(null, { status: 406 });
      },
    });
    if (isPost && body && response.status >= 400 && response.status < 500) {
      const { type, host } = peek(body);
      metrics.federationActivities.inc({
        type,
        instance: metrics.federationInstanceLabel.value(host),
        status: "rejected",
      });
    }
    if (state.outcome === "not_found")
      return c.json(errorBody(c, "not_found", "No such ActivityPub resource"), 404);
    if (state.outcome === "not_acceptable") {
      return c.json(
        errorBody(c, "not_acceptable", "Ask for application/activity+json or application/ld+json"),
        406,
      );
    }
    return response;
  }

  app.get("/.well-known/webfinger", handle);
  app.get("/.well-known/nodeinfo", handle);
  app.get("/nodeinfo/2.1", handle);
  app.get("/ap/actors/:identifier", handle);
  app.get("/ap/actors/:identifier/outbox", handle);
  app.get("/ap/actors/:identifier/followers", handle);
  app.post("/ap/actors/:identifier/inbox", handle);
  app.post("/ap/inbox", handle);
  return app;
}

import type { Context } from "hono";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { PlatformEnv } from "../platform/http/context.ts";
import { ApiError, errorBody } from "../platform/http/errors.ts";
import { limitBody } from "../platform/http/middleware/body-limit.ts";
import { limitJsonDepth } from "../platform/http/middleware/json-depth.ts";
import type { Metrics } from "../platform/telemetry/metrics.ts";
import { isSecretName } from "../platform/telemetry/redaction.ts";
import { referenceId } from "./audience.ts";
import { shortType } from "./delivery.ts";
import { acceptForFedify } from "./negotiation.ts";
import type { FederationService } from "./service.ts";
import { normalizeWebFingerResource } from "./webfinger-resource.ts";

/**
 * Request headers that carry the ActivityPub request's own signature (draft-cavage `Signature`,
 * RFC 9421 `Signature`/`Signature-Input`): secret-looking by name, but Fedify must verify them.
 */
const SIGNATURE_HEADERS = new Set(["signature", "signature-input"]);

/**
 * The request Fedify sees: the same, without secret headers (cookies, tokens) it never needs, with the
 * service's request id as `X-Request-Id` (Fedify names its log lines by it; a client's id the service
 * refused must not reach them), and HEAD asked as GET (hono drops the content of the answer).
 */
function forFedify(c: Context<PlatformEnv>, request: Request, body: ArrayBuffer | undefined): Request {
  const headers = new Headers(request.headers);
  for (const name of [...headers.keys()]) {
    if (isSecretName(name) && !SIGNATURE_HEADERS.has(name)) headers.delete(name);
  }
  headers.set("x-request-id", c.var.requestId);
  const method = request.method === "HEAD" ? "GET" : request.method;
  return new Request(request.url, { method, headers, ...(body ? { body } : {}) });
}

/**
 * A GET as Fedify should see it: a WebFinger `resource` as the fediverse sends it made into the form
 * Fedify accepts (webfinger-resource.ts), and an ActivityPub document asked for without a concrete
 * media type asked for as `application/activity+json` (negotiation.ts). Other requests are unchanged.
 */
function normalized(request: Request): Request {
  const { method } = request;
  if (method !== "GET" && method !== "HEAD") return request;
  const url = new URL(request.url);
  const resource = url.searchParams.get("resource");
  if (url.pathname === "/.well-known/webfinger" && resource !== null) {
    url.searchParams.set("resource", normalizeWebFingerResource(resource));
    return new Request(url, { method, headers: request.headers });
  }
  const accept = acceptForFedify(request.headers.get("accept"));
  if (!url.pathname.startsWith("/ap/") || accept === request.headers.get("accept")) return request;
  const headers = new Headers(request.headers);
  headers.set("accept", accept as string);
  return new Request(url, { method, headers });
}

/**
 * NodeInfo 2.1 as its official schema allows it: Fedify adds a `$schema` key, which the schema's
 * `additionalProperties: false` forbids (strict validators refuse the document); same content type.
 */
async function withoutSchemaKey(response: Response): Promise<Response> {
  if (!response.ok || response.body === null) return response;
  const { $schema: _, ...nodeinfo } = (await response.json()) as Record<string, unknown>;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(nodeinfo), { status: response.status, headers });
}

/** Codes of the client errors Fedify answers with a plain-text message. */
const FEDIFY_ERROR_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  410: "gone",
};

/**
 * Fedify answers some client errors (a malformed WebFinger resource, an unverifiable signature) with a
 * plain-text message and no Content-Type of its own: the Fetch standard implies text/plain from the
 * string body, but Bun does not put that implied type in `Response.headers`, so every copy of such a
 * response (hono's HEAD, withRequestId) lost it on Bun. They become the service's JSON error envelope,
 * with Fedify's status and message, the same on every runtime.
 */
async function clientErrorOf(response: Response): Promise<ApiError | undefined> {
  const { status } = response;
  if (status < 400 || status >= 500 || /json/.test(response.headers.get("content-type") ?? ""))
    return undefined;
  const message = (await response.text()).trim();
  return new ApiError(
    status as ContentfulStatusCode,
    FEDIFY_ERROR_CODES[status] ?? "client_error",
    message || "Request refused",
  );
}

/** Fedify's response with the request's id, as every response of the service has it. */
function withRequestId(response: Response, requestId: string): Response {
  const copy = new Response(response.body, response);
  copy.headers.set("x-request-id", requestId);
  return copy;
}

/**
 * An activity is a JSON object (ActivityStreams 2.0 §2: a JSON-LD document whose top level is an
 * object). Anything else, valid JSON or not, is refused here with a precise 400 before Fedify and
 * jsonld.js see it (a JSON string such as `"!"` made them fail with a 500).
 */
function isJsonObject(body: ArrayBuffer): boolean {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Type and sender of a posted activity, for counting refusals; never trusted for anything else. */
function peek(body: ArrayBuffer): { type: string; host: string } {
  try {
    const json = JSON.parse(new TextDecoder().decode(body)) as { type?: unknown; actor?: unknown };
    const actor = referenceId(json.actor);
    return {
      type: shortType(Array.isArray(json.type) ? json.type[0] : json.type),
      host: actor !== undefined && URL.canParse(actor) ? new URL(actor).host : "unknown",
    };
  } catch {
    return { type: "other", host: "unknown" };
  }
}

/**
 * The ActivityPub surface, handed to Fedify's `federation.fetch()`: WebFinger, NodeInfo, actors, their
 * inboxes, outboxes, followers and following, the shared inbox, and the documents behind FediFlow's
 * object and activity ids (documents.ts: 401 unsigned, 403 outside the audience). Only these paths
 * reach Fedify, with secret headers removed. Each path is a Hono route so metrics and spans carry its
 * template. Refused inbox posts (bad signature, malformed) are counted as `rejected`. Inbox bodies are
 * JSON objects within the size and nesting limits (413, 400), checked before Fedify parses them.
 */
export function activityPubRoutes(
  federation: FederationService,
  metrics: Metrics,
  limits: { inboxBodyLimitBytes: number; jsonMaxDepth: number },
) {
  const app = new Hono<PlatformEnv>();

  function refused(body: ArrayBuffer): void {
    const { type, host } = peek(body);
    metrics.federationActivities.inc({
      type,
      instance: metrics.federationInstanceLabel.value(host),
      status: "rejected",
    });
  }

  async function handle(c: Context<PlatformEnv>): Promise<Response> {
    const isPost = c.req.method === "POST";
    const body = isPost ? await c.req.arrayBuffer() : undefined;
    if (body && !isJsonObject(body)) {
      refused(body);
      return c.json(errorBody(c, "malformed_activity", "An activity must be a JSON object"), 400);
    }
    const state: { outcome: "handled" | "not_found" | "not_acceptable" | 401 | 403 } = { outcome: "handled" };
    const response = await federation.federation.fetch(forFedify(c, normalized(c.req.raw), body), {
      contextData: undefined,
      onUnauthorized: (request) => {
        state.outcome = federation.refusalStatus(request);
        return new Response(null, { status: state.outcome });
      },
      onNotFound: () => {
        state.outcome = "not_found";
        return new Response(null, { status: 404 });
      },
      onNotAcceptable: () => {
        state.outcome = "not_acceptable";
        return new Response(null, { status: 406 });
      },
    });
    if (body && response.status >= 400 && response.status < 500) refused(body);
    if (state.outcome === "not_found")
      return c.json(errorBody(c, "not_found", "No such ActivityPub resource"), 404);
    if (state.outcome === "not_acceptable") {
      return c.json(
        errorBody(c, "not_acceptable", "Ask for application/activity+json or application/ld+json"),
        406,
      );
    }
    if (state.outcome === 401)
      return c.json(errorBody(c, "unauthorized", "Sign the request as an actor in its audience"), 401);
    if (state.outcome === 403) return c.json(errorBody(c, "forbidden", "Not addressed to the signer"), 403);
    const clientError = await clientErrorOf(response);
    if (clientError) throw clientError;
    const answer = c.req.path === "/nodeinfo/2.1" ? await withoutSchemaKey(response) : response;
    return withRequestId(answer, c.var.requestId);
  }

  // Size first (nothing is read beyond it), then nesting depth (before jsonld.js recurses into it).
  const inboxLimit = limitBody(limits.inboxBodyLimitBytes, { what: "Activity" });
  const inboxDepth = limitJsonDepth(limits.jsonMaxDepth);
  app.get("/.well-known/webfinger", handle);
  app.get("/.well-known/nodeinfo", handle);
  app.get("/nodeinfo/2.1", handle);
  app.get("/ap/actors/:identifier", handle);
  app.get("/ap/actors/:identifier/outbox", handle);
  app.get("/ap/actors/:identifier/followers", handle);
  app.get("/ap/actors/:identifier/following", handle);
  app.get("/ap/content/:id", handle);
  app.get("/ap/activities/:id", handle);
  app.post("/ap/actors/:identifier/inbox", inboxLimit, inboxDepth, handle);
  app.post("/ap/inbox", inboxLimit, inboxDepth, handle);
  return app;
}

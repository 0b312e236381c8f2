/**
 * HTTP semantics of every route, table-driven: every operation of the served OpenAPI document (so new
 * routes are covered without editing this file) plus the ActivityPub and probe routes, each × {trailing
 * slash, HEAD, OPTIONS, an unsupported method, a lower-case method} → the status and `Allow` RFC 9110 gives:
 * - §9.3.2 HEAD: as GET, without content, wherever GET is allowed;
 * - §9.3.7 OPTIONS: the communication options of the target: 2xx with `Allow`;
 * - §15.5.6 / §10.2.1: 405 carries `Allow`, the methods the target supports, never the refused one, and
 *   HEAD wherever GET is;
 * - an unknown path (a trailing slash makes another path) is 404, never 405;
 * - §9.1: method names are case-sensitive; `get` is not GET, and `FOO` is no method of this service:
 *   never served. What answers depends on the runtime (see UNKNOWN_METHOD below).
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { School } from "../support/api.ts";
import { type Runtime, type SpawnedServer, testRuntime } from "../support/spawn.ts";
import {
  fetchDocument,
  HTTP_METHODS,
  type OpenApiDocument,
  serverBase,
  startBoundaryServer,
} from "./support.ts";

interface Row {
  /** A concrete path (parameters filled) and the methods it supports. */
  path: string;
  label: string;
  methods: Set<string>;
}

/** Routes outside the API document: home, API reference, probes, scrape endpoint, ActivityPub (Fedify). */
const OTHER_ROUTES: { path: string; methods: string[] }[] = [
  { path: "/", methods: ["GET"] },
  { path: "/api/v1/docs", methods: ["GET"] },
  { path: "/api/v1/docs/init.js", methods: ["GET"] },
  { path: "/api/v1/docs/swagger-ui-bundle.js", methods: ["GET"] },
  { path: "/api/v1/docs/swagger-ui.css", methods: ["GET"] },
  { path: "/api/v1/docs/favicon-32x32.png", methods: ["GET"] },
  { path: "/livez", methods: ["GET"] },
  { path: "/ready", methods: ["GET"] },
  { path: "/health", methods: ["GET"] },
  { path: "/metrics", methods: ["GET"] },
  { path: "/.well-known/webfinger", methods: ["GET"] },
  { path: "/.well-known/nodeinfo", methods: ["GET"] },
  { path: "/nodeinfo/2.1", methods: ["GET"] },
  { path: "/ap/actors/{id}", methods: ["GET"] },
  { path: "/ap/actors/{id}/outbox", methods: ["GET"] },
  { path: "/ap/actors/{id}/followers", methods: ["GET"] },
  { path: "/ap/actors/{id}/inbox", methods: ["POST"] },
  { path: "/ap/inbox", methods: ["POST"] },
];

let server: SpawnedServer;
let school: School;
let document: OpenApiDocument;
let rows: Row[];

const fill = (template: string) => template.replace(/\{[^}]+\}/g, "01930000-0000-7000-8000-000000000001");

before(async () => {
  ({ server, school } = await startBoundaryServer("http-semantics"));
  document = await fetchDocument(server.url);
  const base = new URL(serverBase(document, `${server.url}/api/v1/openapi.json`)).pathname.replace(/\/$/, "");
  rows = [
    ...Object.entries(document.paths).map(([template, item]) => ({
      path: `${base}${fill(template)}`,
      label: `${base}${template}`,
      methods: new Set(
        Object.keys(item)
          .filter((key) => (HTTP_METHODS as readonly string[]).includes(key))
          .map((m) => m.toUpperCase()),
      ),
    })),
    ...OTHER_ROUTES.map(({ path, methods }) => ({
      path: fill(path),
      label: path,
      methods: new Set(methods),
    })),
  ];
  assert.ok(rows.length >= 35, `${rows.length} routes`);
});
after(() => server?.stop());

/** The Allow a target must send: its methods, HEAD with GET, and OPTIONS. */
function expectedAllow(methods: Set<string>): string[] {
  const allow = new Set(methods);
  if (allow.has("GET")) allow.add("HEAD");
  allow.add("OPTIONS");
  return [...allow].sort();
}

const parseAllow = (header: string | null) =>
  (header ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .sort();

function request(path: string, method: string) {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${school.admin.token}`, "x-tenant-id": school.slug },
  });
}

/**
 * How each runtime's HTTP server treats a method it does not know (lower-case `get`, `FOO`):
 * - Node's parser (llhttp) answers 400 itself, before the app;
 * - Deno hands the request to the app, which answers 501 Not Implemented (RFC 9110 §15.6.2);
 * - Bun's parser closes the connection without any response: Bun.serve never calls the app, so the
 *   service cannot answer (README, "Bun and Deno"). A client sees a connection reset, not a response.
 */
const UNKNOWN_METHOD: Record<Runtime, number | "closed"> = { node: 400, deno: 501, bun: "closed" };

/**
 * Sends a request line exactly as written (fetch and node:http upper-case or refuse odd methods);
 * resolves with the status, or "closed" when the server closed the connection without a response.
 */
function rawStatus(method: string, path: string): Promise<number | "closed"> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1", () => {
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tenant-Id: ${school.slug}\r\nConnection: close\r\n\r\n`,
      );
    });
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => {
      if (head === "") return resolve("closed");
      const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1]);
      if (Number.isNaN(status)) reject(new Error(`no status line: ${JSON.stringify(head.slice(0, 200))}`));
      else resolve(status);
    });
  });
}

describe("every route", () => {
  test("every route exists where the document says (not the router's 404, not 405)", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      for (const method of row.methods) {
        const response = await request(row.path, method);
        const text = await response.text();
        if (response.status === 405 || (response.status === 404 && /No route for/.test(text))) {
          failures.push(`${method} ${row.label} → ${response.status}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test("trailing slash: another path, so 404 (never a 405 naming the method that was refused)", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      for (const method of row.methods) {
        const response = await request(`${row.path}/`, method);
        const body = await response.text();
        if (response.status !== 404)
          failures.push(`${method} ${row.label}/ → ${response.status} ${body.slice(0, 120)}`);
        else if (response.headers.get("allow")) failures.push(`${method} ${row.label}/ → 404 with Allow`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test("HEAD: as GET without content where GET is allowed; elsewhere 405 whose Allow has no HEAD", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      const head = await request(row.path, "HEAD");
      const headBody = await head.text();
      if (row.methods.has("GET")) {
        const get = await request(row.path, "GET");
        await get.arrayBuffer();
        if (head.status !== get.status)
          failures.push(`HEAD ${row.label} → ${head.status}, GET → ${get.status}`);
        if (headBody !== "") failures.push(`HEAD ${row.label} has content`);
        if (head.headers.get("content-type") !== get.headers.get("content-type")) {
          failures.push(`HEAD ${row.label} content-type differs from GET`);
        }
      } else {
        const allow = parseAllow(head.headers.get("allow"));
        if (head.status !== 405) failures.push(`HEAD ${row.label} → ${head.status}, expected 405`);
        if (allow.includes("HEAD")) failures.push(`HEAD ${row.label}: 405 lists HEAD in Allow`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test("OPTIONS: 2xx with Allow = the route's methods, HEAD with GET, and OPTIONS", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      const response = await request(row.path, "OPTIONS");
      await response.arrayBuffer();
      const allow = parseAllow(response.headers.get("allow"));
      if (response.status < 200 || response.status > 299)
        failures.push(`OPTIONS ${row.label} → ${response.status}`);
      if (JSON.stringify(allow) !== JSON.stringify(expectedAllow(row.methods))) {
        failures.push(
          `OPTIONS ${row.label}: Allow ${allow.join(",")} ≠ ${expectedAllow(row.methods).join(",")}`,
        );
      }
    }
    assert.deepEqual(failures, []);
  });

  test("an unsupported method: 405 with the route's Allow, which never names the refused method", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      for (const method of ["PUT", "DELETE", "PATCH", "POST", "GET"].filter((m) => !row.methods.has(m))) {
        const response = await request(row.path, method);
        const body = await response.text();
        const allow = parseAllow(response.headers.get("allow"));
        if (response.status !== 405) failures.push(`${method} ${row.label} → ${response.status}`);
        if (allow.includes(method)) failures.push(`${method} ${row.label}: Allow names the refused method`);
        if (JSON.stringify(allow) !== JSON.stringify(expectedAllow(row.methods))) {
          failures.push(
            `${method} ${row.label}: Allow ${allow.join(",")} ≠ ${expectedAllow(row.methods).join(",")}`,
          );
        }
        if (!/"code":"method_not_allowed"/.test(body)) failures.push(`${method} ${row.label}: no JSON error`);
      }
    }
    assert.deepEqual(failures, []);
  });

  const runtime = testRuntime() ?? "node";
  test(`a lower-case or unknown method is never served (${runtime}: ${UNKNOWN_METHOD[runtime]})`, async () => {
    const failures: string[] = [];
    for (const row of rows) {
      for (const method of [...[...row.methods].map((m) => m.toLowerCase()), "FOO"]) {
        const status = await rawStatus(method, row.path);
        if (status !== UNKNOWN_METHOD[runtime]) failures.push(`${method} ${row.label} → ${status}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});

describe("unknown paths", () => {
  for (const path of [
    "/api/v1/nothing-here",
    "/api/v1/courses/x/y/z",
    "/api/v1/",
    "/nothing",
    "/ap/nothing",
  ]) {
    test(`${path} is 404 for every method, with no Allow`, async () => {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]) {
        const response = await request(path, method);
        await response.arrayBuffer();
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.headers.get("allow"), null, `${method} ${path} has no Allow`);
      }
    });
  }
});

/**
 * The example inputs of issue 12, each holding the right value. Where the question is "does the
 * contract agree with the behaviour", the served document is read by an independent JSON Schema
 * validator (ajv, draft 2020-12 as OpenAPI 3.1 uses): a value the document allows must be accepted
 * (2xx, or 404 for something that does not exist), a value it forbids must get 400/422.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Api, expectStatus, type School } from "../support/api.ts";
import type { SpawnedServer } from "../support/spawn.ts";
import { ADMIN_TOKEN } from "../support/spawn.ts";
import {
  alert,
  fetchDocument,
  notification,
  type OpenApiDocument,
  serverBase,
  startBoundaryServer,
} from "./support.ts";

let server: SpawnedServer;
let school: School;
let document: OpenApiDocument;
let base: string;
let courseId: string;
let contentId: string;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

before(async () => {
  ({ server, school } = await startBoundaryServer("examples"));
  document = await fetchDocument(server.url);
  base = serverBase(document, `${server.url}/api/v1/openapi.json`);
  ajv.addSchema(document as object, "openapi");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Examples",
    course_type: "live",
  });
  expectStatus(course, 201);
  courseId = course.body.id;
  const content = await school.instructor.post<{ id: string }>(`/courses/${courseId}/content`, {
    content_type: "lesson",
    title: "One",
    body: "Text",
  });
  expectStatus(content, 201);
  contentId = content.body.id;
});
after(() => server?.stop());

/** JSON pointer (RFC 6901) into the document, as a URI fragment. */
function pointer(...segments: string[]): string {
  return `openapi#/${segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/")}`;
}

function documentAllows(schemaPointer: string, value: unknown): boolean {
  return ajv.validate({ $ref: schemaPointer }, value) as boolean;
}

async function call(method: string, path: string, body?: unknown, token = school.admin.token) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "x-tenant-id": school.slug,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function assertAgreement(what: string, allowed: boolean, status: number, text: string) {
  assert.doesNotMatch(text, /No route for/, `${what}: the document's address is a route`);
  if (allowed) {
    assert.ok(
      status < 300 || status === 404,
      `${what}: the document allows it, the service answered ${status} ${text}`,
    );
  } else {
    assert.ok(
      status === 400 || status === 422,
      `${what}: the document forbids it, the service answered ${status} ${text}`,
    );
  }
}

describe("1. the document leads to the real routes", () => {
  test("servers (resolved against the document's URL) + each path is a route, not the router's 404", async () => {
    assert.ok(document.servers?.length, "the document names its servers");
    const missing: string[] = [];
    for (const [template, item] of Object.entries(document.paths)) {
      const method = Object.keys(item).find((m) =>
        ["get", "post", "put", "patch", "delete"].includes(m),
      ) as string;
      const path = template.replace("{id}", courseId);
      // A bearer token naming no session: every route answers (401 or 4xx), none changes anything
      // (DELETE /sessions/current with the admin's token would sign the admin out for later tests).
      const response = await call(
        method.toUpperCase(),
        path,
        method === "get" || method === "delete" ? undefined : {},
        "no-such-session",
      );
      if (response.status === 404 && /No route for/.test(response.text))
        missing.push(`${method} ${base}${path}`);
    }
    assert.deepEqual(missing, []);
  });
});

describe("2. the contract and the behaviour agree", () => {
  test("cursor=0000… on every list route", async () => {
    const cursor = "0".repeat(64);
    let lists = 0;
    for (const [template, item] of Object.entries(document.paths)) {
      const index = item.get?.parameters?.findIndex((p) => p.name === "cursor" && p.in === "query") ?? -1;
      if (index < 0) continue;
      lists++;
      const allowed = documentAllows(
        pointer("paths", template, "get", "parameters", String(index), "schema"),
        cursor,
      );
      const token = template.startsWith("/ops/") ? ADMIN_TOKEN : school.admin.token;
      const response = await call(
        "GET",
        `${template.replace("{id}", courseId)}?cursor=${cursor}`,
        undefined,
        token,
      );
      assertAgreement(`GET ${template}?cursor=0…`, allowed, response.status, response.text);
    }
    assert.ok(lists >= 8, `${lists} list routes`);
  });

  for (const [template, id] of [
    ["/courses/{id}", () => courseId],
    ["/content/{id}", () => contentId],
  ] as const) {
    test(`PATCH ${template} with {}`, async () => {
      const allowed = documentAllows(
        pointer("paths", template, "patch", "requestBody", "content", "application/json", "schema"),
        {},
      );
      const response = await call("PATCH", template.replace("{id}", id()), {});
      assertAgreement(`PATCH ${template} {}`, allowed, response.status, response.text);
    });
  }

  test('POST /federation/following with {"actor":"000","relation":"follow"}', async () => {
    const body = { actor: "000", relation: "follow" };
    const allowed = documentAllows(
      pointer(
        "paths",
        "/federation/following",
        "post",
        "requestBody",
        "content",
        "application/json",
        "schema",
      ),
      body,
    );
    const response = await call("POST", "/federation/following", body);
    assertAgreement("POST /federation/following actor 000", allowed, response.status, response.text);
  });
});

/** Sends raw bytes (header values with U+0000 cannot be sent with fetch) and returns the status. */
function rawStatus(request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1", () => socket.write(request));
    let head = "";
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1])));
  });
}

describe('3. {"title":"Intro\\u0000Biology"} at every entry point: never 500', () => {
  const nul = "Intro\u0000Biology";

  test("API: POST /courses → 422 naming json.title, nothing stored", async () => {
    const response = await school.instructor.post<{ error: { fields?: { path: string }[] } }>("/courses", {
      title: nul,
      course_type: "live",
    });
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.ok(response.body.error.fields?.some((f) => f.path === "json.title"));
  });

  test("API: signing in with U+0000 in the username → 422 or 401, not 500", async () => {
    const response = await new Api(server.url, { tenant: school.slug }).post("/sessions", {
      username: nul,
      password: "whatever-password",
    });
    assert.ok([401, 422].includes(response.status), `${response.status} ${JSON.stringify(response.body)}`);
  });

  test("Alertmanager webhook: 200, the alert stored with U+FFFD in place of U+0000", async () => {
    const ops = new Api(server.url, { token: ADMIN_TOKEN });
    const nulAlert = alert("00000000000000aa", "firing", "2026-11-25T10:00:00Z");
    nulAlert.labels.title = nul;
    nulAlert.annotations.summary = nul;
    const response = await ops.post<{ stored: number }>("/ops/alerts", notification([nulAlert]));
    expectStatus(response, 200);
    assert.equal(response.body.stored, 1);
    const list = await ops.get<{ items: { labels: Record<string, string> }[] }>("/ops/alerts");
    assert.ok(list.body.items.some((a) => a.labels.title === "Intro\uFFFDBiology"));
  });

  test("ActivityPub: inbox posts, WebFinger and actor lookups with U+0000 → 4xx", async () => {
    const activity = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      type: "Create",
      actor: "https://remote.example/users/a",
      object: { type: "Note", name: nul, content: nul },
    });
    for (const path of ["/ap/inbox", `/ap/actors/${school.ids.instructor}/inbox`]) {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: activity,
      });
      await response.arrayBuffer();
      assert.ok(response.status >= 400 && response.status < 500, `POST ${path} → ${response.status}`);
    }
    for (const path of [
      `/.well-known/webfinger?resource=${encodeURIComponent(`acct:${nul}@127.0.0.1`)}`,
      `/ap/actors/${encodeURIComponent(nul)}`,
      `/ap/actors/${encodeURIComponent(nul)}/outbox`,
    ]) {
      const response = await fetch(`${server.url}${path}`, {
        headers: { accept: "application/activity+json" },
      });
      await response.arrayBuffer();
      assert.ok(response.status >= 400 && response.status < 500, `GET ${path} → ${response.status}`);
    }
  });

  test("headers the service reads or records (User-Agent, X-Tenant-Id, X-Request-Id) with U+0000 → 400", async () => {
    for (const header of ["User-Agent", "X-Tenant-Id", "X-Request-Id"]) {
      const status = await rawStatus(
        `GET /api/v1/courses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tenant-Id: ${school.slug}\r\n${header}: Intro\u0000Biology\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(status, 400, header);
    }
  });

  test("path and query values with %00 → 4xx", async () => {
    for (const path of [
      "/courses/%00",
      `/courses/${courseId}%00`,
      "/ops/alerts?status=%00",
      "/courses?cursor=%00",
      "/courses?limit=%00",
    ]) {
      const response = await call("GET", path, undefined, path.startsWith("/ops") ? ADMIN_TOKEN : undefined);
      assert.ok(
        response.status >= 400 && response.status < 500,
        `${path} → ${response.status} ${response.text}`,
      );
    }
  });
});

describe("4. SQLSTATE class 22 (data exception) is never a 500", () => {
  // A year-0000 startsAt is RFC 3339 and reaches Alertmanager from whoever posts the alert; PostgreSQL
  // refuses it (22008 datetime_field_overflow). Refusing the notification would lose every alert in it
  // (Alertmanager does not retry a 4xx, and a retry cannot succeed): the rest are stored, that one is
  // reported and logged.
  test("a year-0 startsAt in the webhook: 200, the other alerts stored, that one reported as refused", async () => {
    const ops = new Api(server.url, { token: ADMIN_TOKEN });
    const response = await ops.post<{
      received: number;
      stored: number;
      refused: { fingerprint: string; reason: string }[];
    }>(
      "/ops/alerts",
      notification([
        alert("00000000000000ab", "firing", "0000-01-01T00:00:00Z"),
        alert("00000000000000ac", "firing", "2026-11-25T10:00:00Z"),
      ]),
    );
    expectStatus(response, 200);
    assert.equal(response.body.received, 2);
    assert.equal(response.body.stored, 1);
    assert.deepEqual(
      response.body.refused.map((r) => r.fingerprint),
      ["00000000000000ab"],
    );
    assert.match(response.body.refused[0]?.reason ?? "", /22008/);
    const list = await ops.get<{ items: { fingerprint: string }[] }>("/ops/alerts?limit=100");
    const stored = list.body.items.map((a) => a.fingerprint);
    assert.ok(stored.includes("00000000000000ac") && !stored.includes("00000000000000ab"), stored.join());
  });

  test("a class-22 value in a query parameter the document allows (min_calls = 2^53 - 1) is not refused", async () => {
    const response = await call(
      "GET",
      `/ops/db/slow-queries?min_calls=${Number.MAX_SAFE_INTEGER}`,
      undefined,
      ADMIN_TOKEN,
    );
    assert.ok([200, 409].includes(response.status), `${response.status} ${response.text}`);
    const over = await call("GET", "/ops/db/slow-queries?min_calls=1e21", undefined, ADMIN_TOKEN);
    assert.equal(over.status, 400, over.text);
  });
});

describe("5. trailing slash", () => {
  test("GET /api/v1/courses/ → 404, not a 405 that lists GET", async () => {
    const response = await fetch(`${server.url}/api/v1/courses/`, {
      headers: { authorization: `Bearer ${school.admin.token}`, "x-tenant-id": school.slug },
    });
    const body = await response.text();
    assert.equal(response.status, 404, body);
    assert.equal(response.headers.get("allow"), null);
  });
});

/** `levels` arrays inside one another: ~1,000 levels (6 KB) overflowed jsonld.js's stack in Fedify's inbox. */
const nestedArrays = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

describe("6. JSON nested deeper than JSON_MAX_DEPTH (64) is a 400 before anything parses it, at every entry point", () => {
  const deep = nestedArrays(1000);
  const entryPoints: { name: string; path: string; token?: string; body: string; type: string }[] = [
    {
      name: "API: POST /courses",
      path: "/api/v1/courses",
      body: `{"title":"Deep","course_type":"live","description":${deep}}`,
      type: "application/json",
    },
    {
      name: "API: POST /users",
      path: "/api/v1/users",
      body: `{"username":${deep}}`,
      type: "application/json",
    },
    {
      name: "Alertmanager webhook",
      path: "/api/v1/ops/alerts",
      token: ADMIN_TOKEN,
      body: `{"version":"4","alerts":[{"labels":${deep}}]}`,
      type: "application/json",
    },
    {
      name: "ActivityPub shared inbox",
      path: "/ap/inbox",
      body: `{"type":"Create","object":${deep}}`,
      type: "application/activity+json",
    },
    {
      name: "ActivityPub actor inbox",
      path: "/ap/actors/{instructor}/inbox",
      body: `{"@context":${deep}}`,
      type: "application/ld+json",
    },
  ];
  for (const entry of entryPoints) {
    test(`${entry.name} → 400 json_too_deep`, async () => {
      const response = await fetch(
        `${server.url}${entry.path.replace("{instructor}", school.ids.instructor)}`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${entry.token ?? school.admin.token}`,
            "x-tenant-id": school.slug,
            "content-type": entry.type,
          },
          body: entry.body,
        },
      );
      const body = (await response.json()) as { error: { code: string; requestId: string } };
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body.error.code, "json_too_deep");
      assert.equal(body.error.requestId, response.headers.get("x-request-id"));
    });
  }

  test("64 levels are not refused for depth (the schema decides: 422 naming the field)", async () => {
    const response = await call(
      "POST",
      "/courses",
      `{"title":"Deep","course_type":"live","description":${nestedArrays(63)}}`,
    );
    assert.equal(response.status, 422, response.text);
    assert.match(response.text, /json\.description/);
  });
});

describe("7. an activity is a JSON object: anything else posted to an inbox is a precise 400, never 500", () => {
  // `"!"` is the fuzz test's counterexample (seed 891224225): a JSON string made Fedify answer 500.
  for (const body of ['"!"', "[]", "null", "1", "true", '[{"type":"Create"}]', "{", ""]) {
    test(`POST ${JSON.stringify(body)} → 400 malformed_activity`, async () => {
      for (const path of ["/ap/inbox", `/ap/actors/${school.ids.instructor}/inbox`]) {
        const response = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body,
        });
        const json = (await response.json()) as { error: { code: string } };
        assert.equal(response.status, 400, `${path}: ${JSON.stringify(json)}`);
        assert.equal(json.error.code, "malformed_activity");
      }
    });
  }
});

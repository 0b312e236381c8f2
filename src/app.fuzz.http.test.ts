import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { createSchool, expectStatus, type School } from "../test/support/api.ts";
import { startTarget, type Target } from "../test/support/target.ts";

let target: Target;
let school: School;
let courseId: string;
let routes: { method: string; path: string }[];

before(async () => {
  target = await startTarget({ RATE_LIMIT_MAX: "1000000" });
  school = await createSchool(target.fetch, "fuzz-school");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Fuzz",
    course_type: "live",
  });
  expectStatus(course, 201);
  courseId = course.body.id;
  // Every route the app registered, with path parameters filled by a real id, a foreign id or garbage.
  routes = target.routes ?? (await documentedRoutes());
  assert.ok(routes.length >= 15, `found ${routes.length} routes`);
});
after(() => target.close());

/**
 * A server on another runtime cannot list its routes: take the API's from the OpenAPI document and
 * add the ActivityPub and probe paths.
 */
async function documentedRoutes(): Promise<{ method: string; path: string }[]> {
  const doc = (await (await target.fetch("/api/v1/openapi.json")).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const api = Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({
      method: method.toUpperCase(),
      path: `/api/v1${path.replace(/\{(\w+)\}/g, ":$1")}`,
    })),
  );
  const other = [
    "/livez",
    "/ready",
    "/health",
    "/metrics",
    "/.well-known/webfinger",
    "/ap/actors/:identifier",
  ];
  return [
    ...api,
    ...other.map((path) => ({ method: "GET", path })),
    { method: "POST", path: "/ap/inbox" },
    { method: "POST", path: "/ap/actors/:identifier/inbox" },
  ];
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const body = fc.oneof(
  jsonValue.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc
    .record({ title: fc.string(), course_type: fc.string(), content_type: fc.string(), body: fc.string() })
    .map((v) => JSON.stringify(v)),
  fc.constant(""),
  fc.constant("{"),
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);

test("random bodies, headers and path parameters never produce a 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat(),
      fc.constantFrom("real", "random-uuid", "garbage"),
      fc.string({ maxLength: 30 }),
      body,
      fc.record({
        tenant: fc.oneof(fc.constant(school.slug), headerValue),
        auth: fc.oneof(
          fc.constant(`Bearer ${school.instructor.token}`),
          fc.constant(`Bearer ${school.student.token}`),
          headerValue,
        ),
        contentType: fc.constantFrom(
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "",
        ),
        accept: headerValue,
      }),
      async (routeIndex, idKind, garbage, payload, headers) => {
        const route = routes[routeIndex % routes.length] as { method: string; path: string };
        const id = idKind === "real" ? courseId : idKind === "random-uuid" ? crypto.randomUUID() : garbage;
        const path = route.path.replace(/:[a-z_]+/g, encodeURIComponent(id) || "x");
        const init: RequestInit = {
          method: route.method,
          headers: {
            "x-tenant-id": headers.tenant,
            authorization: headers.auth,
            accept: headers.accept,
            ...(headers.contentType ? { "content-type": headers.contentType } : {}),
          },
        };
        if (route.method !== "GET" && route.method !== "HEAD") init.body = payload;
        const response = await target.fetch(path, init);
        const text = await response.text();
        assert.ok(response.status < 500, `${route.method} ${path} -> ${response.status}: ${text}`);
        if (response.status >= 400 && path.startsWith("/api/")) {
          const parsed = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
          assert.equal(typeof parsed.error.code, "string");
          assert.equal(typeof parsed.error.requestId, "string");
        }
      },
    ),
    { numRuns: 400 },
  );
});

test("random paths are 404 or 405 with the error envelope", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.webPath(),
      fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
      async (path, method) => {
        const response = await target.fetch(`/api/v1/x${path}`, {
          method,
          headers: { "x-tenant-id": school.slug },
        });
        const text = await response.text();
        assert.ok(
          [400, 404, 405].includes(response.status),
          `${method} ${path} -> ${response.status} ${text}`,
        );
      },
    ),
    { numRuns: 200 },
  );
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { createSchool, expectStatus, type School } from "../test/support/api.ts";
import { startTestService, type TestService } from "../test/support/in-process.ts";

let server: TestService;
let school: School;
let courseId: string;
let routes: { method: string; path: string }[];

before(async () => {
  server = await startTestService({ RATE_LIMIT_MAX: "1000000" });
  school = await createSchool(server.url, "fuzz-school");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Fuzz",
    course_type: "live",
  });
  expectStatus(course, 201);
  courseId = course.body.id;
  // Every route the app registered, with path parameters filled by a real id, a foreign id or garbage.
  routes = server.service.app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({ method: r.method, path: r.path }));
  assert.ok(routes.length >= 15, `found ${routes.length} routes`);
});
after(() => server.close());

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
        const response = await fetch(`${server.url}${path}`, init);
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
        const response = await fetch(`${server.url}/api/v1/x${path}`, {
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

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Api, type ApiResponse, createSchool, expectStatus, type School } from "../test/support/api.ts";
import { ADMIN_TOKEN, startTestService, type TestService } from "../test/support/in-process.ts";

let server: TestService;
let school: School;

before(async () => {
  server = await startTestService();
  school = await createSchool(server.url, "api-school");
});
after(() => server.close());

describe("courses, enrollments and content", () => {
  test("an instructor creates a course, a student enrols once and posts a discussion", async () => {
    const course = await school.instructor.post<{ id: string; course_type: string }>("/courses", {
      title: "Algebra",
      course_type: "cohort",
    });
    expectStatus(course, 201);
    assert.equal(course.body.course_type, "cohort");

    const first = await school.student.post<{ id: string }>(`/courses/${course.body.id}/enrollments`);
    expectStatus(first, 201);
    const again = await school.student.post<{ id: string }>(`/courses/${course.body.id}/enrollments`);
    expectStatus(again, 200);
    assert.equal(again.body.id, first.body.id, "enrolling twice returns the same enrollment");
    const members = await school.instructor.get<{ items: unknown[] }>(
      `/courses/${course.body.id}/enrollments`,
    );
    expectStatus(members, 200);
    assert.equal(members.body.items.length, 1);

    const lesson = await school.student.post(`/courses/${course.body.id}/content`, {
      content_type: "lesson",
      title: "Sneaky lesson",
      body: "students may not publish lessons",
    });
    expectStatus(lesson, 403);
    const discussion = await school.student.post<{ content_type: string }>(
      `/courses/${course.body.id}/content`,
      {
        content_type: "discussion",
        title: "Question",
        body: "What is a group?",
      },
    );
    expectStatus(discussion, 201);
    const byInstructor = await school.instructor.post(`/courses/${course.body.id}/content`, {
      content_type: "lesson",
      title: "Groups",
      body: "A group is a set with an operation.",
    });
    expectStatus(byInstructor, 201);

    const content = await school.student.get<{ items: { content_type: string }[] }>(
      `/courses/${course.body.id}/content`,
    );
    expectStatus(content, 200);
    assert.deepEqual(content.body.items.map((i) => i.content_type).sort(), ["discussion", "lesson"]);

    const activities = await school.admin.get<{ items: { type: string; object_id: string }[] }>(
      "/activities?limit=100",
    );
    expectStatus(activities, 200);
    const types = activities.body.items.map((a) => a.type);
    assert.ok(
      types.includes("Create") && types.includes("Join"),
      `activity log has Create and Join: ${types}`,
    );
    assert.equal(
      activities.body.items.filter((a) => a.type === "Join").length,
      1,
      "one Join for one enrollment",
    );
  });

  test("students cannot create courses, and only the course's instructor or an admin edits it", async () => {
    expectStatus(await school.student.post("/courses", { title: "Mine", course_type: "live" }), 403);
    const course = await school.admin.post<{ id: string }>("/courses", {
      title: "Admin's",
      course_type: "live",
    });
    expectStatus(course, 201);
    expectStatus(await school.instructor.patch(`/courses/${course.body.id}`, { title: "Taken over" }), 403);
    const renamed = await school.admin.patch<{ title: string }>(`/courses/${course.body.id}`, {
      title: "Renamed",
    });
    expectStatus(renamed, 200);
    assert.equal(renamed.body.title, "Renamed");
  });

  test("a student who is not enrolled cannot read a course's content", async () => {
    const course = await school.instructor.post<{ id: string }>("/courses", {
      title: "Closed",
      course_type: "live",
    });
    expectStatus(await school.student.get(`/courses/${course.body.id}/content`), 403);
  });

  test("cursor pagination walks every course exactly once", async () => {
    for (let i = 0; i < 7; i++) {
      expectStatus(
        await school.instructor.post("/courses", { title: `Paged ${i}`, course_type: "self_paced" }),
        201,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<{ items: { id: string }[]; next_cursor: string | null }> =
        await school.student.get(`/courses?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expectStatus(page, 200);
      assert.ok(page.body.items.length <= 3);
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, "no course twice");
    assert.ok(seen.length >= 7);
    assert.deepEqual([...seen].sort(), seen, "ordered by id (creation time)");
    expectStatus(await school.student.get("/courses?cursor=not-a-cursor"), 400);
    expectStatus(await school.student.get("/courses?limit=1000"), 400);
  });
});

describe("sessions", () => {
  test("logout revokes the token", async () => {
    const login = await school.admin
      .as(undefined)
      .post<{ token: string; user: { role: string } }>("/sessions", {
        username: "student",
        password: "correct horse battery",
      });
    expectStatus(login, 201);
    assert.equal(login.body.user.role, "student");
    const session = school.admin.as(login.body.token);
    expectStatus(await session.get("/users/me"), 200);
    expectStatus(await session.request("DELETE", "/sessions/current"), 204);
    expectStatus(await session.get("/users/me"), 401);
  });

  test("wrong password and unknown users get the same 401", async () => {
    const anonymous = school.admin.as(undefined);
    const wrong = await anonymous.post("/sessions", { username: "student", password: "nope-nope-nope" });
    const unknown = await anonymous.post("/sessions", { username: "ghost", password: "nope-nope-nope" });
    expectStatus(wrong, 401);
    expectStatus(unknown, 401);
    assert.deepEqual(
      (wrong.body as { error: { message: string } }).error.message,
      (unknown.body as { error: { message: string } }).error.message,
    );
  });
});

describe("bad input gets a precise 4xx", () => {
  const raw = (path: string, init: RequestInit) => fetch(`${server.url}${path}`, init);
  const authHeaders = () => ({
    "x-tenant-id": school.slug,
    authorization: `Bearer ${school.instructor.token}`,
    "content-type": "application/json",
  });

  test("malformed JSON is 400 with the error envelope", async () => {
    const response = await raw("/api/v1/courses", {
      method: "POST",
      headers: authHeaders(),
      body: "{not json",
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; requestId: string } };
    assert.equal(body.error.code, "malformed_request");
    assert.equal(body.error.requestId, response.headers.get("x-request-id"));
  });

  test("schema violations are 422 and list every failing field", async () => {
    const response = await school.instructor.post<{ error: { code: string; fields: { path: string }[] } }>(
      "/courses",
      {
        title: "",
        course_type: "underwater",
      },
    );
    expectStatus(response, 422);
    assert.equal(response.body.error.code, "validation_failed");
    assert.deepEqual(response.body.error.fields.map((f) => f.path).sort(), [
      "json.course_type",
      "json.title",
    ]);
  });

  test("oversized bodies are 413", async () => {
    const body = JSON.stringify({ title: "x".repeat(2 * 1024 * 1024), course_type: "live" });
    const response = await raw("/api/v1/courses", { method: "POST", headers: authHeaders(), body });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "payload_too_large");
  });

  test("unknown routes are 404 and wrong methods 405 with Allow", async () => {
    const missing = await raw("/api/v1/nothing-here", { headers: authHeaders() });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
    const wrongMethod = await raw("/api/v1/courses", { method: "DELETE", headers: authHeaders() });
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.headers.get("allow") ?? "", /GET/);
  });

  test("a missing or unknown tenant is a 4xx, never a 5xx", async () => {
    expectStatus(await new Api(server.url).get("/courses"), 400);
    expectStatus(await new Api(server.url, { tenant: "no-such-school" }).get("/courses"), 404);
    expectStatus(await new Api(server.url, { tenant: "bad tenant!" }).get("/courses"), 400);
  });

  test("platform operations need the admin token", async () => {
    const body = {
      slug: "rogue",
      name: "Rogue",
      admin: { username: "x1", email: "x@x.example", password: "0123456789ab" },
    };
    expectStatus(await new Api(server.url).post("/tenants", body), 401);
    expectStatus(await new Api(server.url, { token: `${ADMIN_TOKEN}x` }).post("/tenants", body), 401);
    expectStatus(
      await new Api(server.url, { token: ADMIN_TOKEN }).post("/tenants", { ...body, slug: school.slug }),
      409,
    );
  });
});

test("the OpenAPI 3.1 document describes the routes", async () => {
  const response = await fetch(`${server.url}/api/v1/openapi.json`);
  assert.equal(response.status, 200);
  const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, "3.1.0");
  for (const path of [
    "/courses",
    "/courses/{id}/enrollments",
    "/courses/{id}/content",
    "/sessions",
    "/tenants",
  ]) {
    assert.ok(doc.paths[path], `${path} is documented`);
  }
  assert.ok(doc.paths["/courses"]?.post, "POST /courses documented");
});

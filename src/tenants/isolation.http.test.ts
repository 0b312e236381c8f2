import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createSchool, expectStatus, type School } from "../../test/support/api.ts";
import { startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let a: School;
let b: School;
let courseA: string;
let contentA: string;

before(async () => {
  target = await startTarget();
  a = await createSchool(target.fetch, "tenant-a");
  b = await createSchool(target.fetch, "tenant-b");
  const course = await a.instructor.post<{ id: string }>("/courses", {
    title: "A only",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  courseA = course.body.id;
  expectStatus(await a.student.post(`/courses/${courseA}/enrollments`), 201);
  const content = await a.instructor.post<{ id: string }>(`/courses/${courseA}/content`, {
    content_type: "lesson",
    title: "A's lesson",
    body: "for A",
  });
  expectStatus(content, 201);
  contentA = content.body.id;
});
after(() => target.close());

test("tenant B cannot read A's rows, even with A's ids", async () => {
  expectStatus(await b.admin.get(`/courses/${courseA}`), 404);
  expectStatus(await b.admin.get(`/courses/${courseA}/content`), 404);
  expectStatus(await b.admin.get(`/content/${contentA}`), 404);
  expectStatus(await b.admin.get(`/courses/${courseA}/enrollments`), 404);
  expectStatus(await b.admin.get(`/users/${a.ids.student}`), 404);
});

test("tenant B's lists never contain A's rows", async () => {
  const courses = await b.admin.get<{ items: { id: string }[] }>("/courses?limit=100");
  expectStatus(courses, 200);
  assert.equal(courses.body.items.length, 0);
  const users = await b.admin.get<{ items: { id: string }[] }>("/users?limit=100");
  assert.deepEqual(users.body.items.map((u) => u.id).sort(), Object.values(b.ids).sort());
  const activities = await b.admin.get<{ items: { id: string }[] }>("/activities?limit=100");
  assert.equal(activities.body.items.length, 0);
});

test("tenant B cannot change, enrol into or publish in A's course", async () => {
  expectStatus(await b.admin.patch(`/courses/${courseA}`, { title: "Hijacked" }), 404);
  expectStatus(await b.admin.patch(`/content/${contentA}`, { title: "Hijacked" }), 404);
  expectStatus(await b.student.post(`/courses/${courseA}/enrollments`), 404);
  expectStatus(
    await b.instructor.post(`/courses/${courseA}/content`, { content_type: "lesson", title: "x", body: "y" }),
    404,
  );
  const unchanged = await a.instructor.get<{ title: string }>(`/courses/${courseA}`);
  assert.equal(unchanged.body.title, "A only");
  const enrolled = await a.instructor.get<{ items: { user_id: string }[] }>(
    `/courses/${courseA}/enrollments`,
  );
  assert.deepEqual(
    enrolled.body.items.map((e) => e.user_id),
    [a.ids.student],
  );
});

test("a token of tenant A is useless on tenant B", async () => {
  const stolen = a.admin.forTenant(b.slug);
  expectStatus(await stolen.get("/courses"), 401);
  expectStatus(await stolen.get("/users/me"), 401);
  expectStatus(await stolen.post("/courses", { title: "x", course_type: "live" }), 401);
  // The tenant may also be named by id; the result is the same.
  expectStatus(await a.admin.forTenant(b.tenantId).get("/courses"), 401);
  expectStatus(await a.admin.forTenant(a.tenantId).get("/courses"), 200);
});

test("ids are time-ordered UUIDv7 with random bits, not sequences", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const course = await a.instructor.post<{ id: string }>("/courses", {
      title: `Seq ${i}`,
      course_type: "live",
    });
    ids.push(course.body.id);
  }
  for (const id of ids)
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const tails = ids.map((id) => id.slice(-12));
  assert.equal(new Set(tails).size, 3, "random tails differ");
});

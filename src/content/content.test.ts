import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createSchool, expectStatus, type School } from "../../test/support/api.ts";
import { startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let school: School;
let other: School;
let courseId: string;

before(async () => {
  target = await startTarget();
  school = await createSchool(target.fetch, "content-school");
  other = await createSchool(target.fetch, "content-other");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Content",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  courseId = course.body.id;
  expectStatus(await school.student.post(`/courses/${courseId}/enrollments`), 201);
});
after(() => target.close());

type Item = { id: string; visibility: string };
type Activity = { type: string; actor_id: string; object_id: string; summary: Record<string, unknown> };

const publish = (body: Record<string, unknown>) =>
  school.instructor.post<Item>(`/courses/${courseId}/content`, {
    content_type: "lesson",
    title: "Lesson",
    body: "text",
    ...body,
  });

test("visibility: followers-only unless the author chooses public or unlisted; anything else is a 422", async () => {
  const plain = await publish({});
  expectStatus(plain, 201);
  assert.equal(plain.body.visibility, "followers");
  for (const visibility of ["public", "unlisted", "followers"]) {
    const item = await publish({ visibility });
    expectStatus(item, 201);
    assert.equal(item.body.visibility, visibility);
    const read = await school.student.get<Item>(`/content/${item.body.id}`);
    expectStatus(read, 200);
    assert.equal(read.body.visibility, visibility, "the course's participants read it whatever it is");
  }
  expectStatus(await publish({ visibility: "direct" }), 422);
});

test("DELETE /content/{id}: the author or an admin; 403 for others, 404 for another tenant's or a deleted id", async () => {
  const lesson = await publish({ title: "To delete" });
  expectStatus(lesson, 201);
  expectStatus(await school.student.request("DELETE", `/content/${lesson.body.id}`), 403);
  expectStatus(await other.admin.request("DELETE", `/content/${lesson.body.id}`), 404);
  expectStatus(await school.instructor.request("DELETE", `/content/${lesson.body.id}`), 204);
  expectStatus(await school.instructor.get(`/content/${lesson.body.id}`), 404);
  expectStatus(await school.instructor.request("DELETE", `/content/${lesson.body.id}`), 404);

  const discussion = await school.student.post<Item>(`/courses/${courseId}/content`, {
    content_type: "discussion",
    title: "Off topic",
    body: "…",
  });
  expectStatus(discussion, 201);
  expectStatus(await school.admin.request("DELETE", `/content/${discussion.body.id}`), 204);
});

test("activities on content are the author's, as they federate; an admin acting on them is named in summary.by", async () => {
  const lesson = await publish({ title: "Moderated", visibility: "unlisted" });
  expectStatus(lesson, 201);
  expectStatus(await school.admin.patch(`/content/${lesson.body.id}`, { body: "edited by the admin" }), 200);
  expectStatus(await school.admin.request("DELETE", `/content/${lesson.body.id}`), 204);
  const log = await school.admin.get<{ items: Activity[] }>("/activities?limit=100");
  expectStatus(log, 200);
  const about = log.body.items.filter((a) => a.object_id === lesson.body.id);
  assert.deepEqual(
    about.map((a) => [a.type, a.actor_id, a.summary.by ?? null, a.summary.course_id, a.summary.visibility]),
    [
      ["Create", school.ids.instructor, null, courseId, "unlisted"],
      ["Update", school.ids.instructor, school.ids.admin, courseId, "unlisted"],
      ["Delete", school.ids.instructor, school.ids.admin, courseId, "unlisted"],
    ],
  );
});

test("the largest valid body fits the body limit even JSON-escaped to ASCII: 200,000 astral code points", async () => {
  // Clients that escape non-ASCII (Python's json, schemathesis) send each astral character as a
  // surrogate pair of \uXXXX escapes: 12 bytes per code point, 2.4 MB for the longest valid body.
  const body = "😀".repeat(200_000);
  const escaped = JSON.stringify({ content_type: "lesson", title: "Emoji", body }).replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  assert.ok(escaped.length > 2_400_000, "the request really is that large");
  const response = await target.fetch(`/api/v1/courses/${courseId}/content`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-tenant-id": school.instructor.tenant as string,
      authorization: `Bearer ${school.instructor.token}`,
    },
    body: escaped,
  });
  assert.equal(
    response.status,
    201,
    await response
      .clone()
      .text()
      .then((t) => t.slice(0, 300)),
  );
  const created = (await response.json()) as { id: string; body: string };
  assert.equal(created.body, body, "stored exactly as sent");
});

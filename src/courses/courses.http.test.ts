import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ApiResponse, createSchool, expectStatus, type School } from "../../test/support/api.ts";
import { startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let school: School;

before(async () => {
  target = await startTarget();
  school = await createSchool(target.fetch, "api-school");
});
after(() => target.close());

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

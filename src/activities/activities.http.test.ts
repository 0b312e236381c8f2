import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, type ApiResponse, createSchool, expectStatus, type School } from "../../test/support/api.ts";
import { startTarget, type Target } from "../../test/support/target.ts";

let target: Target;
let school: School;

before(async () => {
  target = await startTarget();
  school = await createSchool(target.fetch, "activity-school");
});
after(() => target.close());

type Activity = { id: string; actor_id: string; type: string; object_type: string; object_id: string };
type ActivityPage = { items: Activity[]; next_cursor: string | null };

test("creating, changing and joining a course are recorded once each, in order, by their actor", async () => {
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Log",
    course_type: "live",
  });
  expectStatus(course, 201);
  expectStatus(await school.instructor.patch(`/courses/${course.body.id}`, { title: "Log 2" }), 200);
  expectStatus(await school.student.post(`/courses/${course.body.id}/enrollments`), 201);
  expectStatus(await school.student.post(`/courses/${course.body.id}/enrollments`), 200);

  const log = await school.student.get<ActivityPage>("/activities?limit=100");
  expectStatus(log, 200);
  const forCourse = log.body.items.filter((a) => a.object_id === course.body.id);
  assert.deepEqual(
    forCourse.map((a) => [a.type, a.object_type, a.actor_id]),
    [
      ["Create", "Group", school.ids.instructor],
      ["Update", "Group", school.ids.instructor],
      ["Join", "Group", school.ids.student],
    ],
  );
});

test("the log pages by cursor without gaps or repeats and needs a signed-in user", async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<ActivityPage> = await school.admin.get(
      `/activities?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expectStatus(page, 200);
    seen.push(...page.body.items.map((a) => a.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  assert.ok(seen.length >= 3);
  assert.equal(new Set(seen).size, seen.length);
  assert.deepEqual([...seen].sort(), seen);
  expectStatus(await new Api(target.fetch, { tenant: school.slug }).get("/activities"), 401);
});

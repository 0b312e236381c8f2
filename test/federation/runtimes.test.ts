import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { expectStatus } from "../support/api.ts";
import type { Runtime } from "../support/spawn.ts";
import { followCourse, Instance, timeline, waitFor } from "./support.ts";

// The same federation between a Node instance (A) and an instance on Bun, then on Deno (B): B's
// worker signs and delivers the Follow, verifies A's Accept and Create, and stores the lesson.
let a: Instance;

before(async () => {
  a = await Instance.create("a");
  await a.start();
});

after(async () => {
  await a?.destroy();
});

for (const runtime of ["bun", "deno"] as Runtime[]) {
  test(`a student on ${runtime} follows a course on Node and receives its lesson`, async () => {
    const b = await Instance.create(runtime, {}, runtime);
    try {
      await b.start();
      const webfinger = await fetch(
        `${b.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:nobody.none@${b.host}`)}`,
      );
      assert.equal(webfinger.status, 404, `${runtime} serves WebFinger`);
      const schools = await followCourse(a, b, { origin: `node-for-${runtime}`, remote: `on-${runtime}` });
      const lesson = await schools.a.instructor.post(`/courses/${schools.courseId}/content`, {
        content_type: "lesson",
        title: `Hello ${runtime}`,
        body: "from Node",
      });
      expectStatus(lesson, 201);
      const items = await waitFor(`the lesson on ${runtime}`, async () => {
        const list = await timeline(schools.b.student);
        return list.length > 0 ? list : undefined;
      });
      assert.deepEqual(
        items.map((i) => i.content.name),
        [`Hello ${runtime}`],
      );
    } finally {
      await b.destroy();
    }
  });
}

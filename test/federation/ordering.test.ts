/**
 * Delivery order and enqueue cost of a fan-out (issue 18, item 8), on a real FediFlow process and its
 * PostgreSQL database: lessons' Creates, Updates and Deletes, recorded without waiting for deliveries,
 * reach each follower's inbox in the order recorded although the inboxes answer after random delays; and Fedify enqueues each
 * fan-out's deliveries with one INSERT (not one per recipient), counted by pg_stat_statements.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createSchool, expectStatus } from "../support/api.ts";
import { InboxHosts } from "../support/inbox-hosts.ts";
import { pollUntil } from "../support/processes.ts";
import { Instance } from "./support.ts";

const HOSTS = 2;
const FOLLOWERS_PER_HOST = 10;
const LESSONS = 4;
const RANK: Record<string, number> = { Create: 0, Update: 1, Delete: 2 };

const inboxes = new InboxHosts(() => Math.floor(Math.random() * 40));
const { arrivals } = inboxes;
let instance: Instance | undefined;

after(async () => {
  await instance?.destroy();
  await inboxes.close();
});

test("Create, Updates and Delete recorded without waiting reach every inbox in that order; one INSERT per fan-out", async () => {
  // Inbox hosts answer each POST after 0–40 ms, so deliveries in flight overtake each other.
  const hosts = await inboxes.start(HOSTS);
  instance = await Instance.create("ordering");
  await instance.start();
  await instance.sql((sql) => sql`create extension if not exists pg_stat_statements`);
  const school = await createSchool(instance.url, "ordering");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Ordering",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  const followers = InboxHosts.followerRows(hosts, FOLLOWERS_PER_HOST, {
    tenantId: school.tenantId,
    actorId: course.body.id,
  });
  await instance.sql((sql) => sql`insert into federation_followers ${sql(followers)}`);
  await instance.sql((sql) => sql`select pg_stat_statements_reset()`);

  // Every lesson created and edited twice; once the first Update arrived somewhere (the publish tasks
  // found the lessons and deliveries are in flight), every lesson deleted.
  const lessons: string[] = [];
  for (let i = 0; i < LESSONS; i++) {
    const lesson = await school.instructor.post<{ id: string }>(`/courses/${course.body.id}/content`, {
      content_type: "lesson",
      title: `Lesson ${i}`,
      body: "First version",
    });
    expectStatus(lesson, 201);
    lessons.push(lesson.body.id);
    for (const body of ["Second version", "Third version"])
      expectStatus(await school.instructor.patch(`/content/${lesson.body.id}`, { body }), 200);
  }
  await pollUntil(() => arrivals.some((a) => a.type === "Update"), {
    timeoutMs: 30_000,
    description: "the first Update at an inbox",
  });
  const inFlightAtDelete = LESSONS * followers.length * 3 - arrivals.length;
  for (const id of lessons) expectStatus(await school.instructor.request("DELETE", `/content/${id}`), 204);
  const deletes = () => arrivals.filter((a) => a.type === "Delete").length;
  await pollUntil(() => deletes() >= LESSONS * followers.length, {
    timeoutMs: 60_000,
    description: "every lesson's Delete at every inbox",
    detail: () => ` (${deletes()} Deletes, ${arrivals.length} arrivals)`,
  });
  await pollUntil(
    async () =>
      ((await instance?.sql((sql) => sql`select 1 from federation_queue limit 1`)) ?? []).length === 0,
    { timeoutMs: 30_000, description: "the queue to drain" },
  );

  // Per inbox and lesson, the activities arrived in the order they were recorded. A publish task that
  // finds its lesson deleted sends nothing (its Delete follows), so a Create or Update may be missing.
  const byInboxAndObject = Map.groupBy(arrivals, (a) => `${a.host}${a.inbox} ${a.object}`);
  assert.equal(byInboxAndObject.size, LESSONS * followers.length, "each inbox heard of each lesson");
  for (const [key, received] of byInboxAndObject) {
    const types = received.map((a) => a.type);
    const ranks = types.map((type) => RANK[type] ?? -1);
    assert.ok(
      ranks.every((rank, n) => rank >= 0 && (n === 0 || rank >= (ranks[n - 1] as number))),
      `${key}: ${types.join(", ")}`,
    );
    assert.ok(types.filter((t) => t !== "Update").length <= 2, `${key}: one Create, one Delete`);
    assert.equal(types.at(-1), "Delete");
  }
  assert.ok(inFlightAtDelete > 0, "the Deletes were recorded while Creates and Updates were still queued");
  assert.ok(
    arrivals.some((a) => a.type === "Create") && arrivals.some((a) => a.type === "Update"),
    "the Creates and Updates were delivered, not only the Deletes",
  );

  // Queue inserts: a publish task per activity, then Fedify's fan-out task and one enqueueMany() of
  // its deliveries (per-recipient enqueue() would be 20 per activity).
  const statements = await instance.sql(
    (sql) => sql<{ calls: number; rows: number }[]>`
      select coalesce(sum(calls), 0)::int as calls, coalesce(sum(rows), 0)::int as rows
      from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = current_database() and s.query ilike '%insert into federation_queue (%'`,
  );
  const activities = 4 * LESSONS;
  const inserts = statements?.[0];
  assert.ok(inserts, "pg_stat_statements answered");
  assert.ok(inserts.rows >= activities * followers.length, `rows inserted: ${inserts.rows}`);
  assert.ok(
    inserts.calls <= 3 * activities,
    `${inserts.calls} INSERTs for ${activities} activities to ${followers.length} inboxes`,
  );
});

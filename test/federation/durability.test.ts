import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, type School, signIn } from "../support/api.ts";
import {
  assertExactlyOnce,
  followCourse,
  Instance,
  metricValue,
  publishLessons,
  timeline,
  waitFor,
} from "./support.ts";

// Durable delivery between two real instances: the receiver down, then the sender restarted, with
// deliveries queued in the sender's database all along.
let a: Instance;
let b: Instance;
let schools: { a: School; b: School; courseId: string };

before(async () => {
  a = await Instance.create("a");
  b = await Instance.create("b");
  await Promise.all([a.start(), b.start()]);
  schools = await followCourse(a, b, { origin: "poly-a", remote: "poly-b" });
});

after(async () => {
  await Promise.allSettled([a?.destroy(), b?.destroy()]);
});

const publish = (count: number, from: number) => publishLessons(schools.a, schools.courseId, count, from);

/** B's student, signed in again (sessions do not survive a restart with the in-process store). */
async function studentOfB(): Promise<Api> {
  return signIn(new Api(b.url, { tenant: "poly-b" }), "student");
}

async function queuedFor(host: string): Promise<number | undefined> {
  const rows = await a.sql(
    (sql) =>
      sql<
        { n: number }[]
      >`select count(*)::int as n from federation_queue where host = ${host} and kind = 'outbox'`,
  );
  return rows?.[0]?.n;
}

test("B down while A publishes 50: all queued, then delivered exactly once; the circuit opens and closes", async () => {
  await b.stop();
  await publish(50, 0);
  const held = await waitFor("50 deliveries queued on A and B's circuit open", async () => {
    const report = await a.instances();
    const peer = report.items.find((i) => i.host === b.host);
    // Depth also counts publish tasks not yet fanned out: wait until B's outbox tasks are all there.
    const fannedOut = (await queuedFor(b.host)) ?? report.queue.depth;
    return peer?.circuit === "open" && report.queue.depth >= 50 && fannedOut >= 50
      ? { report, peer }
      : undefined;
  });
  assert.equal(held.report.queue.dead_letters, 0);
  const queued = await queuedFor(b.host);
  if (queued !== undefined) assert.equal(queued, 50, "one outbox task per lesson for B");
  let metrics = await a.metrics();
  assert.ok(metricValue(metrics, "federation_queue_depth") >= 50);
  assert.ok(
    metricValue(metrics, "federation_delivery_failures_total", {
      instance: b.host,
      reason: "connection_refused",
    }) >= 3,
  );
  assert.equal(
    metricValue(metrics, "federation_circuit_transitions_total", { instance: b.host, state: "opened" }),
    1,
  );
  const health = (await (await fetch(`${a.url}/health`)).json()) as {
    checks: { federation: { status: string } };
  };
  assert.equal(health.checks.federation.status, "degraded", "the only known instance is down");

  await b.start();
  const student = await studentOfB();
  const items = await waitFor(
    "all 50 lessons on B",
    async () => {
      const list = await timeline(student);
      return list.length >= 50 ? list : undefined;
    },
    60_000,
    250,
  );
  await waitFor("A's queue to drain", async () => (await a.instances()).queue.depth === 0);
  assertExactlyOnce(await timeline(student), 50);
  assert.equal(items.length, 50);
  const rows = await b.sql(
    (sql) => sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct activity_uri)::int as distinct from federation_inbox`,
  );
  if (rows) assert.deepEqual(rows[0], { n: 50, distinct: 50 });

  const report = await a.instances();
  const peer = report.items.find((i) => i.host === b.host);
  assert.equal(peer?.circuit, "closed");
  assert.equal(peer?.consecutive_failures, 0);
  assert.ok((peer?.open_count ?? 0) >= 1);
  metrics = await a.metrics();
  assert.equal(
    metricValue(metrics, "federation_circuit_transitions_total", { instance: b.host, state: "closed" }),
    1,
  );
  assert.equal(
    metricValue(metrics, "federation_activities_total", {
      type: "Create",
      instance: b.host,
      status: "delivered",
    }),
    50,
  );
  assert.equal(metricValue(metrics, "federation_queue_depth"), 0);
  assert.equal(metricValue(metrics, "federation_instances_connected", { tenant: "poly-a" }), 1);
});

test("A restarted with deliveries still queued: delivered after the restart, none lost or duplicated", async () => {
  await b.stop();
  await publish(20, 50);
  await waitFor("20 deliveries queued on A", async () => (await a.instances()).queue.depth >= 20);
  await a.stop();
  await a.start();
  const afterRestart = await a.instances();
  assert.ok(afterRestart.queue.depth >= 20, "the queue survived the restart");
  await b.start();
  const student = await studentOfB();
  await waitFor("all 70 lessons on B", async () => (await timeline(student)).length >= 70, 60_000, 250);
  await waitFor("A's queue to drain", async () => (await a.instances()).queue.depth === 0);
  assertExactlyOnce(await timeline(student), 70);
  const report = await a.instances();
  assert.equal(report.queue.dead_letters, 0);
  assert.equal(report.items.find((i) => i.host === b.host)?.circuit, "closed");
});

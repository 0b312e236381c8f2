/**
 * A worker SIGKILLed during a fan-out (issue 14): two web processes and one worker deliver five lessons
 * to 200 followers on 10 loopback inbox servers (each host slow enough that the fan-out takes seconds).
 * The worker is killed with deliveries leased, and a new worker starts at once. Only the deliveries
 * that really depend on a dead lease (the leased tasks and those behind them in their ordering key) may
 * wait for the lease to expire; every other delivery goes on at once. Nothing is lost; duplicates
 * (at-least-once) are counted at the inboxes and in the service's metrics.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import postgres from "postgres";
import { expectStatus } from "../support/api.ts";
import { type InboxArrival, InboxHosts } from "../support/inbox-hosts.ts";
import { pollUntil } from "../support/processes.ts";
import { Deployment } from "./support/deployment.ts";
import { ownServers } from "./support/servers.ts";

const HOSTS = 10;
const FOLLOWERS_PER_HOST = 20;
const LESSONS = 5;
/** How long each inbox takes to answer: makes the fan-out last long enough to be interrupted. */
const INBOX_DELAY_MS = 100;

const servers = ownServers();
const inboxes = new InboxHosts(() => INBOX_DELAY_MS);
const { arrivals } = inboxes;

after(() => inboxes.close());

test("worker SIGKILLed mid fan-out: independent deliveries go on at once, dead leases come back, nothing lost, duplicates counted", async () => {
  const hosts = await inboxes.start(HOSTS);
  const deployment = await Deployment.start({
    clusterUrl: servers.cluster.url,
    redisUrl: servers.redis.url,
    name: "worker",
    webs: 2,
    worker: true,
    env: { FEDERATION_ALLOW_PRIVATE_ADDRESSES: "true", FEDERATION_QUEUE_POLL_MS: "100" },
  });
  const sql = postgres(deployment.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const school = await deployment.createSchool("f-worker");
    const course = await school.instructor.post<{ id: string }>("/courses", {
      title: "Fan-out",
      course_type: "cohort",
    });
    expectStatus(course, 201);
    // Remote followers of the course, each with its own inbox (no shared inbox): one delivery each.
    const followers = InboxHosts.followerRows(hosts, FOLLOWERS_PER_HOST, {
      tenantId: school.tenantId,
      actorId: course.body.id,
    });
    await sql`insert into federation_followers ${sql(followers)}`;

    for (let i = 0; i < LESSONS; i++) {
      const lesson = await school.instructor.post(`/courses/${course.body.id}/content`, {
        title: `Lesson ${i}`,
        content_type: "lesson",
        body: "Fan-out under a crashing worker",
      });
      expectStatus(lesson, 201);
    }
    const expected = followers.length * LESSONS;
    await pollUntil(() => arrivals.length >= expected / 5, {
      timeoutMs: 60_000,
      description: "a fifth of the deliveries",
    });

    const worker = deployment.worker;
    assert.ok(worker);
    worker.process.kill("SIGKILL");
    await worker.stop();
    const killedAt = performance.now();
    const dead = await sql<
      { id: string; kind: string; host: string | null; ordering_key: string | null; expires_in_ms: number }[]
    >`
      select id::text, kind, host, ordering_key,
             extract(epoch from locked_until - now()) * 1000 as expires_in_ms
      from federation_queue where locked_until > now()`;
    // Fan-out tasks share one stored payload per lesson (migration 015); the dead worker held some.
    const [shared] = await sql<{ tasks: number; leased: number }[]>`
      select count(*)::int as tasks, count(*) filter (where locked_until > now())::int as leased
      from federation_queue where payload_id is not null`;
    const deliveredAtKill = arrivals.length;
    deployment.worker = await deployment.spawn("worker");
    const restartedAt = performance.now();

    const delivered = () => new Set(arrivals.map((a) => `${a.host}${a.inbox} ${a.object}`)).size;
    await pollUntil(() => delivered() >= expected, {
      timeoutMs: 180_000,
      intervalMs: 200,
      description: `all ${expected} deliveries`,
      detail: () => ` (${delivered()} delivered)`,
    });
    const completedAt = performance.now();
    // Drained: no task left, and no payload either (deleted after the last task of each lesson; the
    // restarted worker's start sweeps any the kill orphaned).
    await pollUntil(
      async () =>
        (await sql`select 1 from federation_queue union all select 1 from federation_queue_payloads limit 1`)
          .length === 0,
      { timeoutMs: 30_000, description: "the queue and its payloads to drain" },
    );

    // The ordering keys the dead worker held: deliveries of one lesson to one inbox are ordered, so those
    // behind a dead lease really depend on it. A dead fan-out (keyed by the lesson's URI) or publish task
    // (keyed by the lesson's id) blocks its whole lesson.
    const blockedKeys = new Set(dead.map((d) => d.ordering_key).filter((k): k is string => k !== null));
    const blockedLessonIds = [...blockedKeys].flatMap((k) =>
      k.startsWith("fediflow.publish\n") ? [k.slice("fediflow.publish\n".length)] : [],
    );
    const depends = (a: InboxArrival) =>
      blockedKeys.has(`${a.object}\nhttp://${a.host}${a.inbox}`) ||
      blockedKeys.has(a.object) ||
      blockedLessonIds.some((id) => a.object.endsWith(`/${id}`));
    const firstExpiry = killedAt + Math.min(...dead.map((d) => Number(d.expires_in_ms)));
    const afterRestart = arrivals.filter((a) => a.at >= restartedAt);
    const independentLate = afterRestart.filter((a) => !depends(a) && a.at > firstExpiry);
    const duplicates = arrivals.length - delivered();
    // Per host: the longest stretch after the restart with nothing delivered while deliveries were left.
    const stallByHost = hosts.map((host) => {
      const times = [restartedAt, ...afterRestart.filter((a) => a.host === host).map((a) => a.at)];
      return Math.round(Math.max(...times.slice(1).map((t, i) => t - (times[i] as number)), 0));
    });
    const metrics = await (await fetch(`${deployment.webs[0]?.url}/metrics`)).text();
    const workerMetrics = await (await fetch(`${deployment.worker.url}/metrics`)).text();
    const report = {
      scenario: "worker-sigkill",
      expected,
      deliveredAtKill,
      deadLeases: dead.length,
      leaseExpiresAfterKillMs: Math.round(Math.max(0, ...dead.map((d) => Number(d.expires_in_ms)))),
      independentDeliveredAfterLeaseExpiry: independentLate.length,
      longestHostStallMs: Math.max(...stallByHost),
      completeAfterRestartMs: Math.round(completedAt - restartedAt),
      lost: expected - delivered(),
      duplicates,
      reclaimedMetric: /federation_queue_reclaimed_total (\d+)/.exec(workerMetrics)?.[1] ?? null,
    };
    process.stdout.write(`FAULT-REPORT ${JSON.stringify(report)}\n`);

    assert.ok(dead.length > 0, "the worker died holding leases");
    assert.ok(
      (shared?.leased ?? 0) > 0,
      `the dead leases include fan-out tasks with a shared payload: ${JSON.stringify(shared)}`,
    );
    assert.equal(report.lost, 0, "every follower got every lesson");
    assert.equal(
      report.independentDeliveredAfterLeaseExpiry,
      0,
      "deliveries that do not depend on a dead lease all went out before the dead leases expired",
    );
    assert.notEqual(report.reclaimedMetric, null, "reclaimed leases (possible duplicates) are counted");
    assert.ok(Number(report.reclaimedMetric) >= 1, "the dead leases were counted as reclaimed");
    assert.ok(metrics.length > 0);
  } finally {
    await sql.end();
    await deployment.stop();
  }
});

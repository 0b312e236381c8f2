import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import { expectStatus, type School } from "../support/api.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { followCourse, Instance, metricValue, timeline, waitFor } from "./support.ts";

// Two real instances on two loopback ports, each with its own database, exporting traces to one
// real OTLP receiver: A hosts a course, a student on B follows it, A's instructor publishes.
let receiver: OtlpReceiver;
let a: Instance;
let b: Instance;
let schools: { a: School; b: School; courseId: string; actor: string };

before(async () => {
  receiver = await startOtlpReceiver();
  const otel = {
    OTEL_SDK_DISABLED: "false",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_TRACES_SAMPLER: "always_on",
    OTEL_LOGS_EXPORTER: "none",
    OTEL_METRICS_EXPORTER: "none",
  };
  a = await Instance.create("a", otel);
  b = await Instance.create("b", otel);
  await Promise.all([a.start(), b.start()]);
  schools = await followCourse(a, b, { origin: "uni-a", remote: "uni-b" });
});

after(async () => {
  await Promise.allSettled([a?.destroy(), b?.destroy()]);
  await receiver?.close();
});

test("a student on B follows a course on A: both sides record the relationship", async () => {
  const members = await schools.a.instructor.get<{
    items: { actor: string; host: string; relation: string }[];
  }>(`/federation/actors/${schools.courseId}/followers`);
  expectStatus(members, 200);
  assert.equal(members.body.items.length, 1);
  assert.equal(members.body.items[0]?.host, b.host);
  assert.equal(members.body.items[0]?.relation, "follow");
  assert.match(
    members.body.items[0]?.actor ?? "",
    new RegExp(`^${b.url}/ap/actors/${schools.b.ids.student}$`),
  );

  const following = await schools.b.student.get<{ items: { actor: string; state: string }[] }>(
    "/federation/following",
  );
  assert.deepEqual(
    following.body.items.map((f) => [f.actor, f.state]),
    [[schools.actor, "accepted"]],
  );
  const rows = await a.sql(
    (sql) => sql<{ n: number }[]>`select count(*)::int as n from federation_followers`,
  );
  if (rows) assert.equal(rows[0]?.n, 1);
});

test("A's instructor publishes a lesson: B receives it once, in B's database", async () => {
  const lesson = await schools.a.instructor.post<{ id: string }>(`/courses/${schools.courseId}/content`, {
    content_type: "lesson",
    title: "Consensus",
    body: "Raft & Paxos <basics>",
  });
  expectStatus(lesson, 201);
  const items = await waitFor("the lesson on B", async () => {
    const list = await timeline(schools.b.student);
    return list.length > 0 ? list : undefined;
  });
  assert.equal(items.length, 1);
  const item = items[0];
  assert.equal(item?.type, "Create");
  assert.equal(item?.content.name, "Consensus");
  assert.equal(item?.content.content, "<p>Raft &#38; Paxos &#60;basics&#62;</p>");
  assert.deepEqual(item?.content.audience, [schools.actor]);
  assert.equal(item?.actor, `${a.url}/ap/actors/${schools.a.ids.instructor}`);

  const rows = await b.sql(
    (sql) =>
      sql<{ n: number }[]>`select count(*)::int as n from federation_inbox where object_type = 'Article'`,
  );
  if (rows) assert.equal(rows[0]?.n, 1);
  // A recorded the activity and its delivery; the queue is empty again.
  const activities = await schools.a.instructor.get<{ items: { type: string; object_type: string }[] }>(
    "/activities",
  );
  assert.ok(activities.body.items.some((x) => x.type === "Create" && x.object_type === "Article"));
  await waitFor("A's queue to drain", async () => (await a.instances()).queue.depth === 0);
  const report = await a.instances();
  const peer = report.items.find((i) => i.host === b.host);
  assert.equal(peer?.circuit, "closed");
  assert.ok((peer?.delivered_total ?? 0) >= 2, "Accept and Create delivered to B");

  const metricsA = await a.metrics();
  assert.equal(
    metricValue(metricsA, "federation_activities_total", {
      type: "Create",
      instance: b.host,
      status: "delivered",
    }),
    1,
  );
  const metricsB = await b.metrics();
  assert.equal(
    metricValue(metricsB, "federation_activities_total", {
      type: "Create",
      instance: a.host,
      status: "received",
    }),
    1,
  );
});

test("one trace spans A's federation.deliver and B's inbox processing", async () => {
  const lesson = await schools.a.instructor.post<{ id: string }>(`/courses/${schools.courseId}/content`, {
    content_type: "lesson",
    title: "Tracing",
    body: "W3C trace context",
  });
  expectStatus(lesson, 201);
  const deliver = await waitFor("A's federation.deliver span", async () =>
    receiver.data.spans.find(
      (s) =>
        s.name === "federation.deliver" &&
        s.resource["service.name"] === "fediflow-a" &&
        s.attributes["federation.recipients"] === 1,
    ),
  );
  assert.equal(deliver.attributes["federation.instances"], 1);
  const received = await waitFor("B's inbox processing span in the same trace", async () =>
    receiver.data.spans.find(
      (s) =>
        s.traceId === deliver.traceId &&
        s.resource["service.name"] === "fediflow-b" &&
        s.name === "federation.inbox.process",
    ),
  );
  assert.equal(received.attributes["activitypub.activity.type"], "Create");
  const activityCreate = receiver.data.spans.find((s) => s.spanId === deliver.parentSpanId);
  assert.equal(activityCreate?.name, "activity.create");
  // B's HTTP server span for the inbox POST continues the same trace.
  assert.ok(
    receiver.data.spans.some(
      (s) =>
        s.traceId === deliver.traceId && s.resource["service.name"] === "fediflow-b" && s.kind === "SERVER",
    ),
  );
  // Fedify's spans never carry the Authorization header.
  assert.ok(
    !receiver.data.spans.some((s) => Object.keys(s.attributes).some((k) => /authorization/i.test(k))),
  );
});

test("a tampered body or a wrong key is refused with 401 and counted; malformed posts get 4xx", async () => {
  const rogue = await startRogueActor();
  try {
    const before = metricValue(await b.metrics(), "federation_activities_total", { status: "rejected" });
    const inbox = `${b.url}/ap/inbox`;
    const activity = (n: number) =>
      JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${rogue.actorId}/activities/${n}`,
        type: "Create",
        actor: rogue.actorId,
        object: {
          id: `${rogue.actorId}/notes/${n}`,
          type: "Note",
          attributedTo: rogue.actorId,
          content: "hi",
        },
      });
    const post = (body: string) =>
      new Request(inbox, { method: "POST", headers: { "content-type": "application/activity+json" }, body });

    // Control: correctly signed with the published key → accepted (and ignored: nobody follows it).
    const valid = await signRequest(post(activity(1)), rogue.keys.privateKey, rogue.keyId, CAVAGE);
    assert.equal((await fetch(valid)).status, 202);

    // Tampered: signed, then the body replaced (the Digest no longer matches).
    const signed = await signRequest(post(activity(2)), rogue.keys.privateKey, rogue.keyId, CAVAGE);
    const tampered = new Request(signed.url, {
      method: "POST",
      headers: signed.headers,
      body: activity(2).replace('"hi"', '"pwned"'),
    });
    assert.equal((await fetch(tampered)).status, 401);

    // Wrong key: signed with a key that is not the one the actor publishes.
    const other = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const wrongKey = await signRequest(post(activity(3)), other.privateKey, rogue.keyId, CAVAGE);
    assert.equal((await fetch(wrongKey)).status, 401);

    // Unsigned → 401; not JSON → 400; both never 5xx.
    assert.equal((await fetch(post(activity(4)))).status, 401);
    const garbage = await fetch(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: "{not json",
    });
    assert.ok(garbage.status >= 400 && garbage.status < 500, `malformed → ${garbage.status}`);
    // Over the inbox body limit → 413.
    const huge = await fetch(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: "x".repeat(300 * 1024),
    });
    assert.equal(huge.status, 413);

    const metrics = await b.metrics();
    const rejected = metricValue(metrics, "federation_activities_total", { status: "rejected" });
    assert.ok(rejected - before >= 4, `rejections counted (${rejected - before})`);
    assert.ok(
      metricValue(metrics, "federation_activities_total", {
        type: "Create",
        instance: new URL(rogue.actorId).host,
        status: "rejected",
      }) >= 3,
    );
    const stored = await b.sql(
      (sql) =>
        sql<
          { n: number }[]
        >`select count(*)::int as n from federation_inbox where actor_uri = ${rogue.actorId}`,
    );
    if (stored) assert.equal(stored[0]?.n, 0);
  } finally {
    await rogue.close();
  }
});

const CAVAGE = { spec: "draft-cavage-http-signatures-12" } as const;

/** An actor served from the test process, with a key pair the test controls. */
async function startRogueActor() {
  const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const server = createServer(async (req, res) => {
    const document = await new Person({
      id: new URL(actorId),
      preferredUsername: "rogue",
      inbox: new URL(`${actorId}/inbox`),
      publicKey: new CryptographicKey({ id: keyId, owner: new URL(actorId), publicKey: keys.publicKey }),
    }).toJsonLd();
    res.writeHead(req.url === "/actor" || req.url?.startsWith("/actor#") ? 200 : 404, {
      "content-type": "application/activity+json",
    });
    res.end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const actorId = `http://127.0.0.1:${(server.address() as AddressInfo).port}/actor`;
  const keyId = new URL(`${actorId}#main-key`);
  return {
    actorId,
    keyId,
    keys,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

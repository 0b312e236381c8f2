import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { visibilityOf } from "../../src/federation/audience.ts";
import { type Instance, timeline, waitFor } from "../federation/support.ts";
import { expectStatus, type School } from "../support/api.ts";
import { Peer, peerId, type Received, receivedActivities, startFediFlow, studentFollows } from "./support.ts";

// FediFlow against two independent peers on loopback: `modern` accepts RFC 9421 signatures, `legacy`
// refuses them (401, as draft-cavage-only servers do), so FediFlow must fall back to draft-cavage
// ("double knocking"). Each peer verifies every request FediFlow sends with its own code.
let modern: Peer;
let legacy: Peer;
let solo: Peer;
let ff: Instance;
let school: School;
let courseId: string;
const actors: Record<string, { id: string; inbox: string }> = {};
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
let lesson: { id: string; create: Record<string, unknown>; object: Record<string, unknown> };

const actorUrl = (id: string) => `${ff.url}/ap/actors/${id}`;

/** Waits until `peer` received a POSTed activity of `type` matching `match`; returns its record. */
function delivered(peer: Peer, type: string, match: (r: Received) => boolean, what: string) {
  return waitFor(what, async () => (await receivedActivities(peer, type)).find(match), 20_000);
}

const objectOf = (r: Received) => r.activity?.object as Record<string, unknown> | undefined;

before(async () => {
  [modern, legacy, solo] = await Promise.all([
    Peer.start(),
    Peer.start({ refuseRfc9421: true }),
    Peer.start(),
  ]);
  ({ ff, school, courseId } = await startFediFlow("delivery"));
  for (const [peer, name] of [
    [modern, "alice"],
    [legacy, "bob"],
    [solo, "carol"],
    [modern, "dave"],
  ] as const) {
    actors[name] = await peer.actor(name);
  }
  // alice and bob follow the course; carol follows its instructor only; dave follows nobody.
  await modern.follow("alice", actorUrl(courseId));
  await legacy.follow("bob", actorUrl(courseId));
  await solo.follow("carol", actorUrl(school.ids.instructor));
  for (const [peer, name, target] of [
    [modern, "alice", courseId],
    [legacy, "bob", courseId],
    [solo, "carol", school.ids.instructor],
  ] as const) {
    await waitFor(`${name}'s follow accepted`, async () => {
      const state = await peer.state(name);
      return state.following[actorUrl(target)]?.state === "accepted";
    });
  }
  // FediFlow's student follows alice and bob (by actor URL: Fedify's WebFinger lookups are https-only).
  await studentFollows(school, [String(actors.alice?.id), String(actors.bob?.id)]);
  const created = await school.instructor.post<{ id: string }>(`/courses/${courseId}/content`, {
    content_type: "lesson",
    title: "Consensus",
    body: "Raft & Paxos",
  });
  expectStatus(created, 201);
  const record = await delivered(
    modern,
    "Create",
    (r) => objectOf(r)?.name === "Consensus",
    "the lesson at alice",
  );
  lesson = { id: created.body.id, create: record.activity ?? {}, object: objectOf(record) ?? {} };
});

after(async () => {
  await Promise.allSettled([ff?.destroy(), modern?.stop(), legacy?.stop(), solo?.stop()]);
});

test("a peer's Follow of a course is answered with an Accept the peer verifies (RFC 9421, or draft-cavage after double knocking)", async () => {
  const toAlice = (await receivedActivities(modern, "Accept")).filter((r) => r.path === "/users/alice/inbox");
  assert.ok(toAlice.length >= 1);
  for (const r of toAlice) {
    assert.equal(r.verification.scheme, "rfc9421");
    assert.equal(r.verification.verified, true, r.verification.error ?? "");
    assert.equal(r.verification.owner, actorUrl(courseId));
    assert.ok(r.verification.covered?.includes("content-digest"), "the body is covered");
  }
  const toBob = (await receivedActivities(legacy, "Accept")).filter((r) => r.path === "/users/bob/inbox");
  const first = toBob.find((r) => r.verification.scheme === "rfc9421");
  const second = toBob.find((r) => r.verification.scheme === "draft-cavage");
  assert.ok(first && second, `an RFC 9421 knock then a draft-cavage one: ${JSON.stringify(toBob)}`);
  assert.equal(first.verification.verified, true, "the refused RFC 9421 signature was valid");
  assert.equal(first.outcome, "refused by policy: rfc9421");
  assert.equal(second.verification.verified, true, second.verification.error ?? "");
  assert.equal(second.outcome, "follow accepted");
  assert.ok(first.seq < second.seq);
  const followers = await school.instructor.get<{ items: { actor: string }[] }>(
    `/federation/actors/${courseId}/followers`,
  );
  assert.deepEqual(
    followers.body.items.map((f) => f.actor).sort(),
    [actors.alice?.id, actors.bob?.id].sort(),
  );
});

test("FediFlow's Follow of a peer actor is signed, verified by the peer, and the peer's Accept is recorded", async () => {
  for (const [peer, name] of [
    [modern, "alice"],
    [legacy, "bob"],
  ] as const) {
    const follows = await receivedActivities(peer, "Follow");
    const verified = follows.find((r) => r.verification.verified && r.outcome === "follow accepted");
    assert.ok(verified, `${name} received a verified Follow: ${JSON.stringify(follows)}`);
    assert.equal(verified.activity?.actor, actorUrl(school.ids.student));
    assert.equal(verified.activity?.object, actors[name]?.id);
    assert.ok(Object.keys((await peer.state(name)).followers).includes(actorUrl(school.ids.student)));
  }
  // The student's following collection lists both (accepted) follows; the Follow's id dereferences for its object only.
  const collection = JSON.parse((await modern.fetch(`${actorUrl(school.ids.student)}/following`)).body) as {
    totalItems: number;
    first: string | { id: string };
  };
  assert.equal(collection.totalItems, 2);
  const first = typeof collection.first === "string" ? collection.first : collection.first.id;
  const page = JSON.parse((await modern.fetch(first)).body) as { orderedItems?: string[]; items?: string[] };
  assert.deepEqual(
    [...(page.orderedItems ?? page.items ?? [])].sort(),
    [actors.alice?.id, actors.bob?.id].sort(),
  );
  const follow = (await receivedActivities(modern, "Follow")).find((r) => r.verification.verified);
  const followId = String(follow?.activity?.id);
  assert.equal(
    (await modern.fetch(followId, { as: "alice" })).status,
    200,
    "the followed actor reads the Follow",
  );
  assert.equal((await modern.fetch(followId, { as: "dave" })).status, 403, "another actor does not");
});

test("a lesson's Create reaches every follower of the course, signed and verified by each peer", async () => {
  const atBob = await delivered(
    legacy,
    "Create",
    (r) => objectOf(r)?.name === "Consensus",
    "the lesson at bob",
  );
  for (const r of [atBob, ...(await receivedActivities(modern, "Create"))]) {
    if (objectOf(r)?.name !== "Consensus") continue;
    assert.equal(r.verification.verified, true, r.verification.error ?? "");
    assert.equal(r.verification.owner, actorUrl(school.ids.instructor));
    assert.equal(r.outcome, "stored");
  }
  assert.equal(lesson.create.actor, actorUrl(school.ids.instructor));
  assert.equal(lesson.object.attributedTo, actorUrl(school.ids.instructor));
  assert.match(String(lesson.object.content), /Raft &#38; Paxos|Raft &amp; Paxos/);
});

test("the Create and its object carry published", () => {
  assert.equal(typeof lesson.create.published, "string", "Create.published");
  assert.equal(typeof lesson.object.published, "string", "object.published");
  assert.ok(!Number.isNaN(Date.parse(String(lesson.object.published))));
});

test("the author's followers receive the Create, addressed so Mastodon shows it (Public or their followee's followers)", async () => {
  const atCarol = await delivered(
    solo,
    "Create",
    (r) => objectOf(r)?.name === "Consensus",
    "the lesson at carol",
  );
  assert.equal(atCarol.verification.verified, true);
  const activity = atCarol.activity ?? {};
  const addressed = [activity.to, activity.cc].flat().filter((x): x is string => typeof x === "string");
  const visible =
    addressed.includes(PUBLIC) || addressed.includes(`${actorUrl(school.ids.instructor)}/followers`);
  assert.ok(
    visible,
    `to/cc ${JSON.stringify(addressed)}: Mastodon shows it to carol only if Public or the instructor's followers are addressed`,
  );
  const followers = [`${actorUrl(school.ids.instructor)}/followers`];
  assert.equal(visibilityOf(activity, followers), "followers", "a lesson is followers-only by default");
  assert.equal(visibilityOf(objectOf(atCarol) ?? {}, followers), "followers", "its object too");
});

test("a public lesson is addressed to Public (cc the followers), served to anyone and listed in the outbox", async () => {
  const created = await school.instructor.post<{ id: string; visibility: string }>(
    `/courses/${courseId}/content`,
    { content_type: "lesson", title: "Open lecture", body: "for everyone", visibility: "public" },
  );
  expectStatus(created, 201);
  assert.equal(created.body.visibility, "public");
  const atCarol = await delivered(
    solo,
    "Create",
    (r) => objectOf(r)?.name === "Open lecture",
    "the public lesson at carol",
  );
  const activity = atCarol.activity ?? {};
  assert.deepEqual([activity.to].flat(), [PUBLIC]);
  assert.equal(visibilityOf(activity, [`${actorUrl(school.ids.instructor)}/followers`]), "public");
  const id = String(objectOf(atCarol)?.id);
  const unsigned = await modern.fetch(id);
  assert.equal(unsigned.status, 200, `unsigned GET of a public object: ${unsigned.status}`);
  const outbox = await modern.fetch(`${actorUrl(school.ids.instructor)}/outbox`);
  const first = JSON.parse(outbox.body) as { first?: string | { id: string } };
  const firstUrl = typeof first.first === "string" ? first.first : first.first?.id;
  assert.ok(firstUrl, outbox.body);
  const page = JSON.parse((await modern.fetch(firstUrl)).body) as { orderedItems?: { id: string }[] };
  const listed = (page.orderedItems ?? []).map((item) => item.id);
  assert.ok(
    listed.includes(String(activity.id)),
    `the public Create in the outbox: ${JSON.stringify(listed)}`,
  );
  assert.ok(!listed.includes(String(lesson.create.id)), "not the followers-only one, to an unsigned request");
});

test("the Update after PATCH reaches the course's followers (the Create's audience)", async () => {
  const patched = await school.instructor.patch(`/content/${lesson.id}`, {
    body: "Raft, Paxos and Viewstamped Replication",
  });
  expectStatus(patched, 200);
  const update = await delivered(
    legacy,
    "Update",
    (r) => objectOf(r)?.id === lesson.object.id,
    "the Update at bob (a course follower only)",
  );
  assert.equal(update.verification.verified, true);
  assert.match(String(objectOf(update)?.content), /Viewstamped/);
  assert.equal(typeof objectOf(update)?.updated, "string", "the edited object carries updated");
});

test("the ids of a delivered object and activity dereference, with content negotiation", async () => {
  for (const id of [String(lesson.object.id), String(lesson.create.id)]) {
    const answer = await modern.fetch(id, { as: "alice" });
    assert.equal(answer.status, 200, `GET ${id}: ${answer.status}`);
    assert.match(answer.headers["Content-Type"] ?? "", /^application\/(activity|ld)\+json/);
    assert.equal((JSON.parse(answer.body) as { id: string }).id, id);
  }
});

test("a followers-only object is served to a signed follower (of the course or the author) only: 401 unsigned, 403 to others", async () => {
  const id = String(lesson.object.id);
  const unsigned = await modern.fetch(id);
  assert.equal(unsigned.status, 401, `unsigned GET: ${unsigned.status}`);
  const stranger = await modern.fetch(id, { as: "dave" });
  assert.equal(stranger.status, 403, `signed by a non-follower: ${stranger.status}`);
  const carolsCopy = await solo.fetch(id, { as: "carol", scheme: "rfc9421" });
  assert.equal(carolsCopy.status, 200, "signed (RFC 9421) by a follower of the author");
  const follower = await modern.fetch(id, { as: "alice" });
  assert.equal(follower.status, 200, "signed by a course follower");
});

test("deleting a lesson sends a Delete (Tombstone) to the Create's audience; its ids then answer 404, the Delete's is served", async () => {
  const removed = await school.instructor.request("DELETE", `/content/${lesson.id}`);
  expectStatus(removed, 204);
  const del = await delivered(
    legacy,
    "Delete",
    (r) =>
      (typeof r.activity?.object === "string" ? r.activity.object : objectOf(r)?.id) === lesson.object.id,
    "the Delete at bob",
  );
  assert.equal(del.verification.verified, true);
  assert.equal(del.activity?.actor, actorUrl(school.ids.instructor));
  assert.equal(objectOf(del)?.type, "Tombstone");
  assert.deepEqual(
    [del.activity?.to, del.activity?.cc ?? []].flat().sort(),
    [lesson.create.to, lesson.create.cc ?? []].flat().sort(),
    "the Delete is addressed as the Create was",
  );
  for (const id of [String(lesson.object.id), String(lesson.create.id)]) {
    const gone = await modern.fetch(id, { as: "alice" });
    assert.equal(gone.status, 404, `GET ${id} after the Delete: ${gone.status}`);
  }
  const served = await modern.fetch(String(del.activity?.id), { as: "alice" });
  assert.equal(served.status, 200, `GET the Delete: ${served.status} ${served.body}`);
  assert.equal((JSON.parse(served.body) as { type: string }).type, "Delete");
});

test("a peer's Create(Note), signed draft-cavage (bovine) or RFC 9421, lands on the follower's timeline", async () => {
  for (const scheme of ["draft-cavage", "rfc9421"] as const) {
    const note = {
      id: peerId(modern, "objects"),
      type: "Note",
      attributedTo: actors.alice?.id,
      content: `<p>${scheme}</p>`,
      to: [PUBLIC],
    };
    const answer = await modern.send({
      from: "alice",
      to: `${ff.url}/ap/inbox`,
      scheme,
      activity: {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: peerId(modern, "activities"),
        type: "Create",
        actor: actors.alice?.id,
        to: [PUBLIC],
        object: note,
      },
    });
    assert.equal(answer.status, 202, `${scheme}: ${answer.status} ${answer.body}`);
    await waitFor(`the ${scheme} note on the timeline`, async () =>
      (await timeline(school.student)).find((i) => i.content.content === `<p>${scheme}</p>`),
    );
  }
});

test("Undo from a peer removes the follower; FediFlow's Undo reaches the peer signed and verified", async () => {
  const bobFollow = (await legacy.state("bob")).following[actorUrl(courseId)]?.follow.id;
  assert.ok(bobFollow);
  const undo = await legacy.undo("bob", bobFollow);
  assert.ok(undo.answer.status === 202 || undo.answer.status === 200, JSON.stringify(undo.answer));
  await waitFor("bob no longer follows the course", async () => {
    const list = await school.instructor.get<{ items: { actor: string }[] }>(
      `/federation/actors/${courseId}/followers`,
    );
    return !list.body.items.some((f) => f.actor === actors.bob?.id);
  });
  const following = await school.student.get<{ items: { id: string; actor: string }[] }>(
    "/federation/following",
  );
  const toAlice = following.body.items.find((f) => f.actor === actors.alice?.id);
  assert.ok(toAlice);
  expectStatus(await school.student.request("DELETE", `/federation/following/${toAlice.id}`), 204);
  const received = await delivered(
    modern,
    "Undo",
    (r) => r.path.startsWith("/users/alice/") || r.path === "/inbox",
    "the Undo at alice",
  );
  assert.equal(received.verification.verified, true, received.verification.error ?? "");
  assert.equal(received.outcome, "unfollowed");
  assert.ok(!Object.keys((await modern.state("alice")).followers).includes(actorUrl(school.ids.student)));
});

test("every POST FediFlow sent was signed, and verified by the peers' own code", async () => {
  for (const peer of [modern, legacy, solo]) {
    const posts = (await peer.received()).filter((r) => r.method === "POST");
    assert.ok(posts.length > 0);
    for (const r of posts) {
      assert.ok(r.signed, `${r.path} signed`);
      assert.equal(r.verification.verified, true, `${r.path} ${r.activity?.type}: ${r.verification.error}`);
    }
  }
});

test("every signed GET FediFlow sent verifies (RFC 9421 @target-uri is the URI sent, without a fragment)", async () => {
  for (const peer of [modern, legacy, solo]) {
    for (const r of (await peer.received()).filter((x) => x.method === "GET" && x.signed)) {
      assert.equal(
        r.verification.verified,
        true,
        `GET ${r.path} (${r.verification.scheme}): ${r.verification.error}`,
      );
    }
  }
});

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Instance, timeline, waitFor } from "../federation/support.ts";
import type { School } from "../support/api.ts";
import { type Answer, Peer, startFediFlow, studentFollows } from "./support.ts";

// Activities recorded from Mastodon, Pleroma, Misskey, Lemmy and Akkoma (test/interop/fixtures, sources
// in SOURCES.md), re-homed on the peer's loopback origin and signed by the peer with each actor's key.
// Each must be answered 2xx (or a precise 4xx) and then processed or ignored as documented below.
let peer: Peer;
let ff: Instance;
let school: School;
let courseId: string;
const answers: { fixture: string; status: number | null }[] = [];

/** Sender origins (and Lemmy's actor paths) mapped onto the peer, where the actors live at /users/{name}. */
const ORIGINS = [
  "https://mastodon.madrid",
  "https://greenish.red",
  "https://eepy.zone",
  "http://enterprise.lemmy.ml",
  "http://ds9.lemmy.ml",
  "https://example.org",
];

async function fixture(path: string): Promise<{ text: string; json: Record<string, unknown> }> {
  let text = await readFile(join(import.meta.dirname, "fixtures", path), "utf8");
  for (const origin of ORIGINS) {
    text = text
      .replaceAll(`${origin}/u/`, `${peer.url}/users/`)
      .replaceAll(`${origin}/c/`, `${peer.url}/users/`);
    text = text.replaceAll(origin, peer.url);
  }
  return { text, json: JSON.parse(text) as Record<string, unknown> };
}

const actorName = (json: Record<string, unknown>) => String(json.actor).split("/users/")[1] as string;

/** Signs a fixture as its actor (draft-cavage, as these servers sign) and POSTs it to FediFlow's shared inbox. */
async function deliver(path: string): Promise<{ answer: Answer; json: Record<string, unknown> }> {
  const { text, json } = await fixture(path);
  const answer = await peer.send({ from: actorName(json), to: `${ff.url}/ap/inbox`, body: text });
  answers.push({ fixture: path, status: answer.status });
  return { answer, json };
}

const objectId = (json: Record<string, unknown>) => (json.object as { id: string }).id;
/** A timeline item's `object` (the remote object's id). */
const objectOf = (item: object) => (item as { object?: string }).object;

before(async () => {
  peer = await Peer.start();
  ({ ff, school, courseId } = await startFediFlow("fixtures"));
  for (const name of ["felix", "nutomic", "9kfweg7wmdw7fnnt", "main", "lemmy_beta", "lemmy_alpha", "akko"]) {
    await peer.actor(name);
  }
  const litepub = await readFile(
    join(import.meta.dirname, "fixtures", "pleroma", "litepub-0.1.jsonld"),
    "utf8",
  );
  await peer.serve(`${peer.url}/schemas/litepub-0.1.jsonld`, JSON.parse(litepub));
  await studentFollows(
    school,
    ["felix", "nutomic", "9kfweg7wmdw7fnnt", "main"].map((name) => `${peer.url}/users/${name}`),
  );
  await peer.follow("lemmy_alpha", `${ff.url}/ap/actors/${courseId}`);
  await waitFor("lemmy_alpha follows the course", async () => {
    const state = await peer.state("lemmy_alpha");
    return Object.values(state.following)[0]?.state === "accepted";
  });
});

after(async () => {
  await Promise.allSettled([ff?.destroy(), peer?.stop()]);
});

const onTimeline = (id: string) =>
  waitFor(`${id} on the timeline`, async () =>
    (await timeline(school.student)).find((i) => objectOf(i) === id),
  );

for (const [path, marker] of [
  ["mastodon/create_note.json", "thinkpad"],
  ["mastodon/create_note_to_string.json", "single strings"],
  ["pleroma/create_note.json", "test"],
  ["misskey/create_note.json", "#fediverse"],
] as const) {
  test(`${path}: Create(Note) is accepted and stored on the follower's timeline`, async () => {
    const { answer, json } = await deliver(path);
    assert.equal(answer.status, 202, `${answer.status} ${answer.body}`);
    const item = await onTimeline(objectId(json));
    assert.equal(item.type, "Create");
    assert.equal(item.actor, json.actor);
    assert.ok(String(item.content.content).includes(marker), JSON.stringify(item.content));
  });
}

test("mastodon/delete_note.json: Delete{Tombstone} (with a stale LD signature) removes the stored note", async () => {
  const { json: created } = await fixture("mastodon/create_note.json");
  await onTimeline(objectId(created));
  const { answer } = await deliver("mastodon/delete_note.json");
  assert.equal(answer.status, 202, `${answer.status} ${answer.body}`);
  await waitFor(
    "the note gone from the timeline",
    async () => !(await timeline(school.student)).some((i) => objectOf(i) === objectId(created)),
  );
});

for (const path of [
  "mastodon/like.json",
  "mastodon/announce.json",
  "mastodon/update_person.json",
  "lemmy/announce_create_page.json",
  "akkoma/emoji_react.json",
]) {
  test(`${path}: accepted (202) and ignored — nothing stored`, async () => {
    const before = (await timeline(school.student)).length;
    const { answer } = await deliver(path);
    assert.equal(answer.status, 202, `${answer.status} ${answer.body}`);
    // Fedify queued the activity for the inbox worker: once the queue is empty it has been handled.
    await waitFor("the inbox queue drained", async () => (await ff.instances()).queue.depth === 0);
    assert.equal((await timeline(school.student)).length, before);
  });
}

test("lemmy/delete_user.json: Delete of a following actor (still reachable) removes it from the course's followers", async () => {
  const { answer, json } = await deliver("lemmy/delete_user.json");
  assert.equal(answer.status, 202, `${answer.status} ${answer.body}`);
  await waitFor(
    "lemmy_alpha removed from the course's followers",
    async () => {
      const list = await school.instructor.get<{ items: { actor: string }[] }>(
        `/federation/actors/${courseId}/followers`,
      );
      return !list.body.items.some((f) => f.actor === json.actor);
    },
    10_000,
  );
});

test("mastodon/delete_actor.json: Mastodon's Delete of a deleted account (actor now 410, key cached from its earlier posts) is 202", async () => {
  await peer.setStatus("felix", "gone");
  const { answer } = await deliver("mastodon/delete_actor.json");
  assert.equal(answer.status, 202, `${answer.status} ${answer.body}`);
});

test("no recorded activity got a 5xx", () => {
  assert.ok(answers.length >= 11);
  assert.deepEqual(
    answers.filter((a) => a.status === null || a.status >= 500),
    [],
  );
});

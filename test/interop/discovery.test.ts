import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import AjvDraft04Module from "ajv-draft-04";
import type { Instance } from "../federation/support.ts";
import { Api, expectStatus, type School, signIn } from "../support/api.ts";
import { ADMIN_TOKEN } from "../support/spawn.ts";
import { Peer, startFediFlow } from "./support.ts";

// FediFlow as the independent peer (Python: bovine, aiohttp) discovers it: WebFinger, actor documents,
// NodeInfo and collections, each answer checked by the peer's client and by the official schemas.
let peer: Peer;
let ff: Instance;
let school: School;
let lopezId: string;
let courseId: string;
// ajv-draft-04 is CommonJS with `exports.default`: under Node's ESM interop the class is `.default`.
const AjvDraft04 = AjvDraft04Module.default ?? AjvDraft04Module;
const AS2 = "application/activity+json";
const LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

before(async () => {
  peer = await Peer.start();
  ({ ff, school, courseId } = await startFediFlow("discovery"));
  const lopez = await school.admin.post<{ id: string }>("/users", {
    username: "MsLopez",
    email: "lopez@uni.example",
    password: "correct horse battery",
    role: "instructor",
  });
  expectStatus(lopez, 201);
  lopezId = lopez.body.id;
});

after(async () => {
  await Promise.allSettled([ff?.destroy(), peer?.stop()]);
});

const actorUrl = (id: string) => `${ff.url}/ap/actors/${id}`;

test("WebFinger: the peer resolves a user's handle as given, then its actor document", async () => {
  const found = await peer.lookup(`acct:uni.MsLopez@${ff.host}`);
  assert.equal(found.status, 200);
  assert.match(found.contentType, /^application\/jrd\+json/);
  assert.equal(found.jrd?.subject, `acct:uni.MsLopez@${ff.host}`);
  const self = found.jrd?.links.find((l) => l.rel === "self");
  assert.equal(self?.href, actorUrl(lopezId));
  assert.equal(self?.type, AS2);
  assert.equal(found.actor?.id, actorUrl(lopezId));
  assert.equal(found.actor?.type, "Person");
});

test("WebFinger: the username matches case-insensitively (Misskey sends handles lower-cased)", async () => {
  const found = await peer.lookup(`acct:uni.mslopez@${ff.host}`);
  assert.equal(found.status, 200, `acct:uni.mslopez → ${found.status} ${found.body ?? ""}`);
  assert.equal(found.actor?.id, actorUrl(lopezId));
});

test("WebFinger: a bare user@host resource (no acct:) resolves, as Mastodon accepts it", async () => {
  const response = await fetch(
    `${ff.url}/.well-known/webfinger?resource=${encodeURIComponent(`uni.MsLopez@${ff.host}`)}`,
  );
  assert.equal(response.status, 200, await response.clone().text());
  const jrd = (await response.json()) as { links: { rel: string; href: string }[] };
  assert.equal(jrd.links.find((l) => l.rel === "self")?.href, actorUrl(lopezId));
});

/** GET with an explicit Host header (fetch may not set Host): a tenant's own domain. */
function getWithHost(url: string, host: string, accept: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host, accept } }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("WebFinger: the host of a handle is case-insensitive (tenant's own domain)", async () => {
  const platform = new Api(ff.url, { token: ADMIN_TOKEN });
  const tenant = await platform.post("/tenants", {
    slug: "hostcase",
    name: "Host case school",
    domain: "school.example",
    admin: { username: "Rector", email: "rector@school.example", password: "correct horse battery" },
  });
  expectStatus(tenant, 201);
  for (const resource of ["acct:Rector@school.example", "acct:Rector@School.EXAMPLE"]) {
    const answer = await getWithHost(
      `${ff.url}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`,
      "school.example",
      "application/jrd+json",
    );
    assert.equal(answer.status, 200, `${resource}: ${answer.status} ${answer.body}`);
  }
});

test("two usernames of one tenant that differ only in case cannot both exist (one handle)", async () => {
  const twin = await school.admin.post("/users", {
    username: "mslopez",
    email: "twin@uni.example",
    password: "correct horse battery",
    role: "student",
  });
  expectStatus(twin, 409);
  // Signing in is unaffected for the existing user.
  await signIn(new Api(ff.url, { tenant: "uni" }), "MsLopez");
});

test("actor documents answer both ActivityPub media types, read by the peer's client", async () => {
  for (const accept of [AS2, LD]) {
    const answer = await peer.fetch(actorUrl(courseId), { accept });
    assert.equal(answer.status, 200, `${accept}: ${answer.status}`);
    assert.match(answer.headers["Content-Type"] ?? "", /^application\/(activity|ld)\+json/);
    const actor = JSON.parse(answer.body) as Record<string, unknown>;
    assert.equal(actor.id, actorUrl(courseId));
    assert.equal(actor.type, "Group");
    for (const key of ["inbox", "outbox", "followers", "publicKey"])
      assert.ok(actor[key], `actor has ${key}`);
  }
});

test("actor documents have a following collection", async () => {
  const answer = await peer.fetch(actorUrl(lopezId));
  const actor = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(typeof actor.following, "string", "Person.following (ActivityPub §4.1: SHOULD)");
});

test("an actor asked with Accept: */* or without Accept is not a 406", async () => {
  for (const accept of ["*/*", null] as const) {
    const answer = await peer.fetch(actorUrl(lopezId), { accept });
    assert.notEqual(answer.status, 406, `Accept ${accept ?? "(none)"}`);
    assert.ok(answer.status < 500, `Accept ${accept ?? "(none)"}: ${answer.status}`);
    assert.equal(answer.status, 200, `Accept ${accept ?? "(none)"}: AS2 or HTML`);
  }
});

test("HEAD of an actor (no Accept) and of NodeInfo answers as GET would, without a body", async () => {
  for (const url of [actorUrl(lopezId), `${ff.url}/nodeinfo/2.1`]) {
    const response = await fetch(url, { method: "HEAD" });
    assert.equal(response.status, 200, `HEAD ${url}`);
    assert.match(response.headers.get("content-type") ?? "", /^application\/(activity\+)?json/);
    assert.equal(await response.text(), "");
  }
});

test("NodeInfo 2.1 validates against the official NodeInfo schema", async () => {
  const discovery = await peer.fetch(`${ff.url}/.well-known/nodeinfo`, { accept: "application/json" });
  assert.equal(discovery.status, 200);
  const links = (JSON.parse(discovery.body) as { links: { rel: string; href: string }[] }).links;
  const link = links.find((l) => l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1");
  assert.ok(link, `a 2.1 link in ${discovery.body}`);
  const document = await peer.fetch(link.href, { accept: "application/json" });
  assert.equal(document.status, 200);
  const schema = JSON.parse(
    await readFile(join(import.meta.dirname, "fixtures", "nodeinfo", "schema-2.1.json"), "utf8"),
  );
  const validate = new AjvDraft04({ allErrors: true }).compile(schema);
  const nodeinfo = JSON.parse(document.body) as { software: { name: string } };
  assert.ok(validate(nodeinfo), JSON.stringify(validate.errors));
  assert.equal(nodeinfo.software.name, "fediflow");
});

test("the outbox lists the actor's published activities", async () => {
  const lesson = await school.instructor.post<{ id: string }>(`/courses/${courseId}/content`, {
    content_type: "lesson",
    title: "Outbox",
    body: "listed",
  });
  expectStatus(lesson, 201);
  const outbox = await peer.fetch(`${actorUrl(school.ids.instructor)}/outbox`);
  assert.equal(outbox.status, 200);
  const collection = JSON.parse(outbox.body) as { totalItems?: number };
  assert.ok((collection.totalItems ?? 0) >= 1, `outbox: ${outbox.body}`);
});

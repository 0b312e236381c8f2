/**
 * What inbound follows cost the database, counted by PostgreSQL itself (pg_stat_statements, on a
 * cluster of this test's own so nobody else resets or evicts the counts): a FediFlow process (web and
 * worker) takes signed Follows of a course from remote actors served here, answers each with an
 * Accept, and records the delivery. Each actor is loaded once per request and once per inbox activity
 * (performance.md item 12: it was six times per Follow), and delivery successes are written in
 * batches, never one statement per delivery (item 11).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { generateCryptoKeyPair } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import postgres from "postgres";
import { Api, createSchool, expectStatus } from "../support/api.ts";
import { type PostgresServer, realPostgres } from "../support/postgres-server.ts";
import { freePort } from "../support/processes.ts";
import { signedFollow } from "../support/signed-follow.ts";
import { ADMIN_TOKEN, type SpawnedServer, spawnServer } from "../support/spawn.ts";
import { FAST_FEDERATION, type InstancesReport, waitFor } from "./support.ts";

const FOLLOWS = 8;
const DATABASE = "fediflow_follow_cost";

let cluster: PostgresServer;
let admin: postgres.Sql;
let server: SpawnedServer;
let remote: { origin: string; accepts: string[]; close(): Promise<void> };
let keys: Awaited<ReturnType<typeof generateCryptoKeyPair>>;

/** A remote instance: actors at /users/{n} sharing one key, an inbox per actor that records Accepts. */
async function startRemote(publicKey: typeof keys.publicKey): Promise<typeof remote> {
  const accepts: string[] = [];
  let origin = "";
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type?: string; actor?: string };
  };
  const http = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("#")[0] as string;
    if (req.method === "POST") {
      const body = await read(req);
      if (body.type === "Accept") accepts.push(path);
      res.writeHead(202).end();
      return;
    }
    if (!/^\/users\/\d+$/.test(path)) {
      res.writeHead(404).end();
      return;
    }
    const id = new URL(`${origin}${path}`);
    const person = new Person({
      id,
      inbox: new URL(`${id.href}/inbox`),
      publicKey: new CryptographicKey({ id: new URL(`${id.href}#main-key`), owner: id, publicKey }),
    });
    res
      .writeHead(200, { "content-type": "application/activity+json" })
      .end(JSON.stringify(await person.toJsonLd()));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { origin, accepts, close: () => new Promise<void>((r) => http.close(() => r())) };
}

/** Calls per normalised statement of the service's database so far. */
async function statements(): Promise<Map<string, number>> {
  const rows = await admin<{ query: string; calls: string }[]>`
    select query, calls from pg_stat_statements
    where dbid = (select oid from pg_database where datname = ${DATABASE})`;
  const counts = new Map<string, number>();
  for (const { query, calls } of rows) counts.set(query, (counts.get(query) ?? 0) + Number(calls));
  return counts;
}

before(async () => {
  cluster = await realPostgres({ isolated: true });
  admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${DATABASE}`);
  const url = new URL(cluster.url);
  url.pathname = `/${DATABASE}`;
  const port = await freePort();
  server = await spawnServer({
    database: { env: { DATABASE_URL: url.toString() }, drop: async () => {} },
    env: { ...FAST_FEDERATION, PORT: String(port), FEDERATION_ORIGIN: `http://127.0.0.1:${port}` },
  });
  keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  remote = await startRemote(keys.publicKey);
});

after(async () => {
  await server?.stop();
  await remote?.close();
  await admin?.end();
  await cluster?.stop();
});

test(`${FOLLOWS} inbound Follows: each loads the course twice (request, activity), no statement per Accept delivered`, async (t) => {
  const school = await createSchool(server.url, "follow-cost");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Counting",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  const courseActor = `${server.url}/ap/actors/${course.body.id}`;
  // As a follower's server does first, which also makes the course's key pairs (their first use
  // checks that the actor exists: one more lookup, once).
  const document = await fetch(courseActor, { headers: { accept: "application/activity+json" } });
  assert.equal(document.status, 200);
  const before = await statements();

  for (let n = 0; n < FOLLOWS; n++) {
    const actor = `${remote.origin}/users/${n}`;
    const response = await fetch(
      await signedFollow({
        inbox: `${courseActor}/inbox`,
        actor,
        object: courseActor,
        privateKey: keys.privateKey,
      }),
    );
    assert.equal(response.status, 202, await response.text());
  }
  const host = new URL(remote.origin).host;
  const ops = new Api(server.url, { token: ADMIN_TOKEN });
  await waitFor(`${FOLLOWS} Accepts delivered and recorded`, async () => {
    if (remote.accepts.length < FOLLOWS) return false;
    const report = await ops.get<InstancesReport>("/ops/federation/instances");
    return Number(report.body.items.find((i) => i.host === host)?.delivered_total) === FOLLOWS;
  });

  const afterwards = await statements();
  const delta = (pattern: RegExp) =>
    [...afterwards]
      .filter(([query]) => pattern.test(query))
      .reduce((sum, [query, calls]) => sum + calls - (before.get(query) ?? 0), 0);
  const courseLookups = delta(/^select .* from courses where id = \$1$/s);
  const userLookups = delta(/^select .* from users where id = \$1$/s);
  // pg_stat_statements shows the constants as parameters: `values ($1, now(), $4)`.
  const singleRowSuccesses = delta(/^insert into federation_instances .*values \(\$1, now\(\), \$\d+\)/s);
  const batches = delta(/^insert into federation_instances .*from unnest/s);
  t.diagnostic(
    `per ${FOLLOWS} Follows: ${courseLookups} course and ${userLookups} user lookups, ` +
      `${singleRowSuccesses} single-row and ${batches} batched success writes`,
  );
  assert.equal(remote.accepts.length, FOLLOWS, "one Accept per Follow");
  // The inbox request (Fedify's recipient check, its key pairs) and the queued activity (the listener,
  // the key pairs it signs the Accept with) load the course once each; before, six times.
  assert.ok(courseLookups >= FOLLOWS, `the course was looked up (${courseLookups})`);
  assert.ok(courseLookups <= 2 * FOLLOWS, `${courseLookups} course lookups for ${FOLLOWS} Follows`);
  assert.ok(userLookups <= 2 * FOLLOWS, `${userLookups} user lookups for ${FOLLOWS} Follows`);
  assert.equal(singleRowSuccesses, 0, "no statement per successful delivery");
  assert.ok(batches >= 1, "the successes were written in batches");
});

test("a signed Follow to the inbox of no actor is 404 and makes no key pair for its id", async () => {
  const nobody = "01a23073-0000-7000-8000-000000000000";
  const actor = `${remote.origin}/users/0`;
  const signed = await signedFollow({
    inbox: `${server.url}/ap/actors/${nobody}/inbox`,
    actor,
    object: `${server.url}/ap/actors/${nobody}`,
    privateKey: keys.privateKey,
    id: `${actor}/follows/nobody`,
  });
  assert.equal((await fetch(signed)).status, 404);
  const url = new URL(cluster.url);
  url.pathname = `/${DATABASE}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from federation_keys where actor_id = ${nobody}`;
    assert.equal(row?.n, 0);
  } finally {
    await sql.end();
  }
});

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createFederation, generateCryptoKeyPair, InProcessMessageQueue, signRequest } from "@fedify/fedify";
import { Create, Note, Person } from "@fedify/vocab";
import { PostgresKvStore } from "../../src/federation/kv-store.ts";
import type { Database } from "../../src/platform/db/client.ts";
import { connectMigratedTestDatabase } from "../support/migrated-database.ts";

// The KV store's contract as Fedify relies on it (KvStore: `get` is undefined only for an absent key),
// on the real database: PostgreSQL when TEST_DATABASE_URL is set, else embedded PGlite.
let db: Database;
let close: () => Promise<void>;

before(async () => {
  ({ db, close } = await connectMigratedTestDatabase());
});

after(() => close?.());

test("JSON null is stored and read back as null, distinct from an absent key", async () => {
  const kv = new PostgresKvStore(db.sql);
  await kv.set(["null", "plain"], null);
  await kv.set(["null", "ttl"], null, { ttl: { minutes: 10 } as never });
  assert.equal(await kv.get(["null", "plain"]), null);
  assert.equal(await kv.get(["null", "ttl"]), null);
  assert.equal(await kv.get(["null", "absent"]), undefined);
  const listed: unknown[] = [];
  for await (const entry of kv.list(["null"])) listed.push(entry);
  assert.deepEqual(listed, [
    { key: ["null", "plain"], value: null },
    { key: ["null", "ttl"], value: null },
  ]);
  const [row] = await db.sql<{ kind: string }[]>`
    select jsonb_typeof(value) as kind from federation_kv where key = ${JSON.stringify(["null", "plain"])}`;
  assert.equal(row?.kind, "null", "jsonb 'null', not SQL NULL");
});

test("compare-and-swap treats null as a value and undefined as absence", async () => {
  const kv = new PostgresKvStore(db.sql);
  assert.equal(await kv.cas(["cas", "n"], undefined, null), true, "absent → null");
  assert.equal(await kv.cas(["cas", "n"], undefined, 1), false, "null is present");
  assert.equal(await kv.cas(["cas", "n"], null, 2), true, "null → 2");
  assert.equal(await kv.get(["cas", "n"]), 2);
  assert.equal(await kv.cas(["cas", "n"], 2, null), true, "2 → null");
  assert.equal(await kv.get(["cas", "n"]), null);
  assert.equal(await kv.cas(["cas", "n"], null, undefined), true, "null → deleted");
  assert.equal(await kv.get(["cas", "n"]), undefined);
});

test("values holding U+0000 or unpaired surrogates (untrusted remote documents) are stored with U+FFFD", async () => {
  const kv = new PostgresKvStore(db.sql);
  await kv.set(["nul"], { "na\u0000me": "a\u0000b", list: ["\u0000", "\ud800", 1] });
  assert.deepEqual(await kv.get(["nul"]), { "na\uFFFDme": "a\uFFFDb", list: ["\uFFFD", "\uFFFD", 1] });
});

/** A key server answering every request with `status`, counting requests. */
async function keyServer(status: number): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { "content-type": "application/activity+json" });
    res.end(status === 410 ? JSON.stringify({ type: "Tombstone" }) : "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, hits: () => hits };
}

test("Fedify's negative key cache works on this store: an unfetchable key is 401, fetched once", async () => {
  const kv = new PostgresKvStore(db.sql);
  const federation = createFederation<void>({
    kv,
    queue: new InProcessMessageQueue(),
    allowPrivateAddress: true,
    manuallyStartQueue: true,
  });
  federation.setActorDispatcher("/users/{identifier}", (ctx, identifier) =>
    identifier === "local" ? new Person({ id: ctx.getActorUri(identifier) }) : null,
  );
  let received = 0;
  federation.setInboxListeners("/users/{identifier}/inbox", "/inbox").on(Create, () => {
    received++;
  });
  for (const status of [410, 404]) {
    const remote = await keyServer(status);
    try {
      const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      const actor = new URL(`${remote.url}/users/gone`);
      const keyId = new URL(`${actor.href}#main-key`);
      const activity = new Create({
        id: new URL(`${remote.url}/activities/${status}`),
        actor,
        object: new Note({ id: new URL(`${remote.url}/notes/${status}`), content: "hello" }),
      });
      const body = JSON.stringify(await activity.toJsonLd());
      for (let attempt = 1; attempt <= 2; attempt++) {
        const request = await signRequest(
          new Request("http://fediflow.test/inbox", {
            method: "POST",
            headers: { "content-type": "application/activity+json" },
            body,
          }),
          privateKey,
          keyId,
          { spec: "draft-cavage-http-signatures-12" },
        );
        const response = await federation.fetch(request, { contextData: undefined });
        assert.equal(response.status, 401, `key answering ${status}, attempt ${attempt}`);
      }
      assert.equal(remote.hits(), 1, `the ${status} was cached: the key was fetched once for two requests`);
      const cached: unknown[] = [];
      for await (const entry of kv.list())
        if (JSON.stringify(entry.key).includes(keyId.href)) cached.push(entry);
      assert.ok(
        cached.some((entry) => (entry as { value: unknown }).value === null),
        `a JSON null entry for ${keyId.href}: ${JSON.stringify(cached)}`,
      );
    } finally {
      remote.server.closeAllConnections();
      remote.server.close();
    }
  }
  assert.equal(received, 0, "nothing unverified reached a listener");
});

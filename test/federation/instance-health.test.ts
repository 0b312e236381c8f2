import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import type postgres from "postgres";
import { createInstanceHealth } from "../../src/federation/instances.ts";
import { migrate } from "../../src/platform/db/migrate.ts";
import { serverDatabase } from "../support/database.ts";

// The health records of remote instances on the real database, counting the statements postgres.js
// really sends: a delivery's success must cost no round trip of its own (performance.md, item 11).
let sql: postgres.Sql;
let close: () => Promise<void>;
const sent: string[] = [];
/** Statements that wrote federation_instances since the test began. */
const writes = () => sent.filter((query) => /\b(insert into|update) federation_instances\b/.test(query));

before(async () => {
  ({ sql, close } = await serverDatabase({ debug: (_connection, query) => sent.push(query) }));
  await migrate(sql);
});

after(() => close?.());

beforeEach(async () => {
  await sql`delete from federation_instances`;
  sent.length = 0;
});

const circuit = { threshold: 3, recoveryMs: 100, maxMs: 1000 };

test("1,000 successes to 20 hosts, first contacts included, are written by one statement", async () => {
  const instances = createInstanceHealth(sql, circuit);
  const hosts = Array.from({ length: 20 }, (_, i) => `inbox-${i}.example:443`);
  const recorded = Array.from({ length: 1000 }, (_, i) => instances.recordSuccess(hosts[i % 20] as string));
  assert.deepEqual(new Set(await Promise.all(recorded)), new Set([undefined]), "no circuit changed");
  assert.deepEqual(writes(), [], "no statement per delivery");
  await instances.flush();
  assert.equal(writes().length, 1, "one multi-row upsert for all hosts");
  const rows = await sql<{ host: string; delivered_total: string; last_success_at: Date | null }[]>`
    select host, delivered_total, last_success_at from federation_instances order by host`;
  assert.equal(rows.length, 20);
  for (const row of rows) {
    assert.equal(Number(row.delivered_total), 50, row.host);
    assert.ok(row.last_success_at, row.host);
  }
  await instances.flush();
  assert.equal(writes().length, 1, "nothing left to write");
});

test("after a host fault here, the next success is written at once and closes the circuit; later ones are counted", async () => {
  const instances = createInstanceHealth(sql, { ...circuit, threshold: 1 });
  const host = "flaky.example:443";
  assert.equal(await instances.recordFailure(host, "ECONNREFUSED"), "opened");
  const [first, second] = await Promise.all([instances.recordSuccess(host), instances.recordSuccess(host)]);
  assert.equal(first, "closed");
  assert.equal(second, undefined, "a concurrent success is only counted");
  const settled = writes().length;
  await instances.recordSuccess(host);
  assert.equal(writes().length, settled, "once settled, successes cost no statement");
  const row = await instances.find(host);
  assert.equal(row?.circuit, "closed");
  assert.equal(row?.consecutive_failures, 0);
  assert.equal(Number(row?.delivered_total), 3);
});

test("a flush never closes a circuit another worker opened; its probe's success does", async () => {
  const here = createInstanceHealth(sql, circuit);
  const elsewhere = createInstanceHealth(sql, circuit);
  const host = "down.example:443";
  await here.recordSuccess(host);
  for (let i = 0; i < circuit.threshold; i++) await elsewhere.recordFailure(host, "ECONNREFUSED");
  await here.flush();
  const held = await here.find(host);
  assert.equal(held?.circuit, "open");
  assert.equal(held?.consecutive_failures, circuit.threshold);
  assert.equal(Number(held?.delivered_total), 1);
  assert.equal(await here.recordSuccess(host, { probe: true }), "closed");
  assert.equal((await here.find(host))?.circuit, "closed");
});

test("successes counted before a host fault recorded here do not restart its failure count", async () => {
  const instances = createInstanceHealth(sql, circuit);
  const host = "slipping.example:443";
  await instances.recordSuccess(host);
  await instances.recordFailure(host, "timeout");
  await instances.flush();
  const row = await instances.find(host);
  assert.equal(row?.consecutive_failures, 1, "the fault came after the counted success");
  assert.equal(Number(row?.delivered_total), 1);
  await instances.recordSuccess(host);
  assert.equal((await instances.find(host))?.consecutive_failures, 0);
});

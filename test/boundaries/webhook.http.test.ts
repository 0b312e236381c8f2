/**
 * Alertmanager's webhook with the v4 payload as Alertmanager sends it: every state change stored, repeats
 * and late notifications suppressed, the batch the shipped configuration can send accepted, and nothing
 * Alertmanager can send refused with a status it does not retry (it retries only 5xx).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { Api, type ApiResponse, expectStatus } from "../support/api.ts";
import { ADMIN_TOKEN, startTarget, type Target } from "../support/target.ts";
import { alert, notification, type AlertStatus as Status, type WebhookAlert } from "./support.ts";

const ROOT = join(import.meta.dirname, "..", "..");
interface Stored {
  fingerprint: string;
  status: Status;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  starts_at: string;
  ends_at: string | null;
  receiver: string;
}

let server: Target;
let ops: Api;
let sequence = 0;
/** A fingerprint no other test uses (Alertmanager's are 16 hex digits). */
const freshFingerprint = () => (0xf00000000000 + ++sequence * 7919).toString(16).padStart(16, "0");

async function send(alerts: WebhookAlert[]): Promise<number> {
  const response = await ops.post<{ received: number; stored: number }>("/ops/alerts", notification(alerts));
  expectStatus(response, 200);
  assert.equal(response.body.received, alerts.length);
  return response.body.stored;
}

/** Every stored row of a fingerprint, oldest first, read back through the API (all pages). */
async function history(fingerprint: string): Promise<Stored[]> {
  const rows: Stored[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<{ items: Stored[]; next_cursor: string | null }> = await ops.get(
      `/ops/alerts?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expectStatus(page, 200);
    rows.push(...page.body.items.filter((row) => row.fingerprint === fingerprint));
    cursor = page.body.next_cursor;
  } while (cursor);
  return rows;
}

before(async () => {
  server = await startTarget();
  ops = new Api(server.fetch, { token: ADMIN_TOKEN });
});
after(() => server.close());

describe("state changes", () => {
  test("firing → resolved → firing with the same fingerprint and startsAt stores all three and ends firing", async () => {
    const fp = freshFingerprint();
    const start = "2026-11-25T10:00:00Z";
    assert.equal(await send([alert(fp, "firing", start)]), 1);
    assert.equal(await send([alert(fp, "resolved", start, "2026-11-25T10:20:00Z")]), 1);
    assert.equal(await send([alert(fp, "firing", start)]), 1, "the flap back to firing is stored");
    const rows = await history(fp);
    assert.deepEqual(
      rows.map((r) => r.status),
      ["firing", "resolved", "firing"],
    );
    assert.equal(rows.at(-1)?.status, "firing", "the record ends firing while the alert fires");
    assert.equal(rows[0]?.ends_at, null, "Alertmanager's zero endsAt means not ended");
    assert.equal(rows[1]?.ends_at, "2026-11-25T10:20:00Z");
  });

  test("repeats of an unchanged state are suppressed", async () => {
    const fp = freshFingerprint();
    const start = "2026-11-25T11:00:00Z";
    assert.equal(await send([alert(fp, "firing", start)]), 1);
    assert.equal(await send([alert(fp, "firing", start)]), 0, "repeat_interval re-sends firing");
    assert.equal(await send([alert(fp, "resolved", start, "2026-11-25T11:30:00Z")]), 1);
    assert.equal(await send([alert(fp, "resolved", start, "2026-11-25T11:30:00Z")]), 0);
    assert.deepEqual(
      (await history(fp)).map((r) => r.status),
      ["firing", "resolved"],
    );
  });

  test("a late (older) notification does not overwrite a newer state", async () => {
    // A later episode is stored; a notification of the earlier one arrives after it.
    const fp = freshFingerprint();
    assert.equal(await send([alert(fp, "firing", "2026-11-25T13:00:00Z")]), 1);
    assert.equal(await send([alert(fp, "resolved", "2026-11-25T12:00:00Z", "2026-11-25T12:30:00Z")]), 0);
    assert.equal(await send([alert(fp, "firing", "2026-11-25T12:00:00Z")]), 0);
    assert.deepEqual(
      (await history(fp)).map((r) => [r.status, r.starts_at]),
      [["firing", "2026-11-25T13:00:00Z"]],
    );

    // Within one episode: firing, resolved at 14:20, firing again; the 14:20 resolve is re-delivered
    // late (an Alertmanager replica, a retry) and must not resolve the alert that fires again.
    const flap = freshFingerprint();
    const start = "2026-11-25T14:00:00Z";
    assert.equal(await send([alert(flap, "firing", start)]), 1);
    assert.equal(await send([alert(flap, "resolved", start, "2026-11-25T14:20:00Z")]), 1);
    assert.equal(await send([alert(flap, "firing", start)]), 1);
    assert.equal(await send([alert(flap, "resolved", start, "2026-11-25T14:20:00Z")]), 0, "late resolve");
    assert.equal(await send([alert(flap, "resolved", start, "2026-11-25T14:10:00Z")]), 0, "older resolve");
    assert.equal(await send([alert(flap, "resolved", start, "2026-11-25T14:40:00Z")]), 1, "the real resolve");
    assert.deepEqual(
      (await history(flap)).map((r) => [r.status, r.ends_at]),
      [
        ["firing", null],
        ["resolved", "2026-11-25T14:20:00Z"],
        ["firing", null],
        ["resolved", "2026-11-25T14:40:00Z"],
      ],
    );
  });

  test("one notification delivered twice at once (two Alertmanager replicas) is stored once", async () => {
    const fp = freshFingerprint();
    const batch = [alert(fp, "firing", "2026-11-25T15:00:00Z")];
    const stored = await Promise.all([send(batch), send(batch), send(batch)]);
    assert.equal(
      stored.reduce((a, b) => a + b, 0),
      1,
    );
    assert.equal((await history(fp)).length, 1);
  });
});

describe("what Alertmanager can send is accepted", () => {
  test("a full batch of the shipped configuration (max_alerts, long annotations, ~1.2 MB) is stored", async () => {
    const config = parse(await readFile(join(ROOT, "alertmanager", "alertmanager.yml"), "utf8")) as {
      receivers: { name: string; webhook_configs?: { url: string; max_alerts?: number }[] }[];
    };
    const webhook = config.receivers
      .flatMap((r) => r.webhook_configs ?? [])
      .find((w) => w.url.endsWith("/api/v1/ops/alerts"));
    assert.ok(webhook?.max_alerts && webhook.max_alerts > 0, "the shipped webhook bounds alerts per call");
    // Log excerpts rendered into an annotation by a rule template: ~24 KB each.
    const excerpt = Array.from(
      { length: 250 },
      (_, i) =>
        `2026-11-25T10:00:${String(i % 60).padStart(2, "0")}Z ERROR request failed: upstream timeout after 5000 ms — café 😀 #${i}`,
    ).join("\n");
    const alerts = Array.from({ length: webhook.max_alerts }, () => {
      const a = alert(freshFingerprint(), "firing", "2026-11-25T16:00:00Z");
      a.annotations.description = excerpt;
      return a;
    });
    const size = Buffer.byteLength(JSON.stringify(notification(alerts)));
    assert.ok(size > 1_100_000, `the batch is ${size} bytes`);
    assert.equal(await send(alerts), alerts.length);
    const stored = await history(alerts[7]?.fingerprint as string);
    assert.equal(stored[0]?.annotations.description, excerpt, "annotations are stored whole");
  });

  test("odd but valid payloads (U+0000, any Unicode, Go's RFC 3339 nano times, long names) are stored, never refused", async () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    // Go's encoding/json writes invalid UTF-8 as U+FFFD, so no unpaired surrogate reaches the wire;
    // U+0000 does (as \u0000).
    const goText = text.map((s) => s.toWellFormed());
    const goTime = fc
      .record({
        ms: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        nanos: fc.integer({ min: 0, max: 999_999_999 }),
        offset: fc.integer({ min: -14 * 60, max: 14 * 60 }),
      })
      .map(({ ms, nanos, offset }) => {
        const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
        const fraction = nanos ? `.${String(nanos).padStart(9, "0").replace(/0+$/, "")}` : "";
        const sign = offset < 0 ? "-" : "+";
        const zone =
          offset === 0
            ? "Z"
            : `${sign}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
        return `${local}${fraction}${zone}`;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(goText, goText, { maxKeys: 6 }),
        fc.dictionary(goText, goText, { maxKeys: 4 }),
        goTime,
        fc.constantFrom<Status>("firing", "resolved"),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 300 }),
        async (labels, annotations, startsAt, status, receiver) => {
          const fp = freshFingerprint();
          const odd = { ...alert(fp, status, startsAt, startsAt), labels, annotations };
          const body = { ...notification([odd]), receiver };
          const response = await ops.post<{ stored: number }>("/ops/alerts", body);
          expectStatus(response, 200);
          assert.equal(response.body.stored, 1);
          const [row] = await history(fp);
          const storable = (value: string) => value.replaceAll("\u0000", "\uFFFD");
          const expected = (record: Record<string, string>) =>
            Object.fromEntries(Object.entries(record).map(([k, v]) => [storable(k), storable(v)]));
          assert.deepEqual(row?.labels, expected(labels), "labels stored by the U+FFFD rule");
          assert.deepEqual(row?.annotations, expected(annotations));
          assert.equal(row?.receiver, storable(receiver));
          // PostgreSQL keeps microseconds (rounded), JavaScript's Date.parse milliseconds (truncated).
          assert.ok(Math.abs(Date.parse(row?.starts_at ?? "") - Date.parse(startsAt)) <= 1, row?.starts_at);
        },
      ),
      {
        numRuns: 60,
        examples: [
          [
            { "name\u0000": "Intro\u0000Biology", alertname: "Nul" },
            { "summary\u0000": "\u0000", description: "\u200f\u05e9\u05dc\u05d5\u05dd 😀" },
            "2026-11-25T18:00:00.123456789+05:45",
            "firing",
            "web.hook\u0000",
          ],
        ],
      },
    );
  });
});

test("receiver names are Alertmanager configuration strings of any length: one of 1000 characters is stored", async () => {
  const fp = freshFingerprint();
  const receiver = `team-${"r".repeat(995)}`;
  const response = await ops.post<{ stored: number }>("/ops/alerts", {
    ...notification([alert(fp, "firing", "2026-11-25T19:00:00Z")]),
    receiver,
  });
  expectStatus(response, 200);
  assert.equal((await history(fp))[0]?.receiver, receiver);
});

/** 20 new firing alerts with 8 KiB descriptions each: a batch of ~165 KB. */
function largeBatch(startsAt: string): WebhookAlert[] {
  return Array.from({ length: 20 }, () => {
    const a = alert(freshFingerprint(), "firing", startsAt);
    a.annotations.description = "x".repeat(8 * 1024);
    return a;
  });
}

describe("the webhook's own limit, above the API's", () => {
  let strict: Target;
  before(async () => {
    strict = await startTarget({ BODY_LIMIT_BYTES: String(64 * 1024) });
  });
  after(() => strict.close());

  test("a batch over BODY_LIMIT_BYTES is accepted on the webhook and refused (413) everywhere else", async () => {
    const alerts = largeBatch("2026-11-25T18:00:00Z");
    const body = notification(alerts);
    assert.ok(Buffer.byteLength(JSON.stringify(body)) > 128 * 1024);
    const platform = new Api(strict.fetch, { token: ADMIN_TOKEN });
    const accepted = await platform.post<{ received: number }>("/ops/alerts", body);
    expectStatus(accepted, 200);
    assert.equal(accepted.body.received, alerts.length);
    // The same bytes to another route, and to the webhook's path with a trailing slash (another path).
    for (const path of ["/tenants", "/ops/alerts/"]) {
      const refused = await platform
        .post<{ error: { code: string } }>(path, body)
        .catch((error: Error) => error);
      if (refused instanceof Error) {
        // Bun closes the connection under a client still sending (README, "Bun and Deno").
        assert.equal(strict.kind, "bun", String(refused));
        assert.match(String((refused.cause as { code?: string })?.code), /^(EPIPE|ECONNRESET)$/);
        continue;
      }
      assert.equal(refused.status, 413, `${path}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, "payload_too_large");
    }
  });
});

describe("a body over the webhook's limit", () => {
  let small: Target;
  before(async () => {
    small = await startTarget({ ALERT_WEBHOOK_BODY_LIMIT_BYTES: String(64 * 1024) });
  });
  after(() => small.close());

  test("is answered with a status Alertmanager retries (503 and Retry-After), never 413", async () => {
    const alerts = largeBatch("2026-11-25T17:00:00Z");
    const response = await new Api(small.fetch, { token: ADMIN_TOKEN }).post<{ error: { code: string } }>(
      "/ops/alerts",
      notification(alerts),
    );
    assert.equal(response.status, 503, JSON.stringify(response.body));
    assert.ok(Number(response.headers.get("retry-after")) > 0, "Retry-After is set");
    assert.equal(typeof response.body.error.code, "string");
  });
});

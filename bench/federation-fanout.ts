/**
 * Fan-out benchmark: one activity to 1,000 remote followers spread over 20 loopback inbox servers.
 *
 *   node bench/federation-fanout.ts [--followers 1000] [--servers 20] [--shared]
 *
 * Starts the real service (src/main.ts, own database: TEST_DATABASE_URL's server or embedded PGlite)
 * and 20 small ActivityPub servers in this process, each hosting followers/20 actors with their own
 * inboxes (with --shared, one shared inbox per server instead, so Fedify collapses the fan-out to 20
 * deliveries). Every follower follows the course through the real protocol (signed Follow → Accept).
 * Then the instructor publishes one lesson and the servers record when each inbox receives it.
 * Reports deliveries/s, p50/p95/max end-to-end latency (publish request → inbox), peak RSS of the
 * service during the fan-out, lost and duplicated deliveries. Bounded: gives up after 120 s.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Endpoints, Person } from "@fedify/vocab";
import { waitFor } from "../test/federation/support.ts";
import { createSchool, expectStatus } from "../test/support/api.ts";
import { freePort } from "../test/support/processes.ts";
import { spawnServer } from "../test/support/spawn.ts";

const { values: args } = parseArgs({
  options: {
    followers: { type: "string", default: "1000" },
    servers: { type: "string", default: "20" },
    shared: { type: "boolean", default: false },
  },
});
const FOLLOWERS = Number(args.followers);
const SERVERS = Number(args.servers);
const PER_SERVER = Math.ceil(FOLLOWERS / SERVERS);
const DEADLINE = Date.now() + 120_000;

interface Arrival {
  inbox: string;
  at: number;
}

const arrivals: Arrival[] = [];
let accepts = 0;
let publishStartedAt = 0;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** One remote instance: PER_SERVER actors at /users/{n}, their inboxes, an optional shared inbox. */
async function startRemote(index: number) {
  const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const documents = new Map<string, string>();
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("#")[0] as string;
    if (req.method === "POST") {
      const body = await readBody(req);
      const type = (JSON.parse(body) as { type?: string }).type;
      if (type === "Accept") accepts++;
      else arrivals.push({ inbox: `${origin}${path}`, at: performance.now() });
      res.writeHead(202).end();
      return;
    }
    const match = /^\/users\/(\d+)$/.exec(path);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    let doc = documents.get(path);
    if (!doc) {
      const id = new URL(`${origin}${path}`);
      doc = JSON.stringify(
        await new Person({
          id,
          preferredUsername: `bench${index}_${match[1]}`,
          inbox: new URL(`${id.href}/inbox`),
          ...(args.shared ? { endpoints: new Endpoints({ sharedInbox: new URL(`${origin}/inbox`) }) } : {}),
          publicKey: new CryptographicKey({
            id: new URL(`${id.href}#main-key`),
            owner: id,
            publicKey: keys.publicKey,
          }),
        }).toJsonLd(),
      );
      documents.set(path, doc);
    }
    res.writeHead(200, { "content-type": "application/activity+json" }).end(doc);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, keys, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function rssKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length && Date.now() < DEADLINE) await work(items[next++] as T);
    }),
  );
}

async function main(): Promise<void> {
  const remotes = await Promise.all(Array.from({ length: SERVERS }, (_, i) => startRemote(i)));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const service = await spawnServer({
    env: {
      PORT: String(port),
      FEDERATION_ORIGIN: origin,
      FEDERATION_ALLOW_PRIVATE_ADDRESSES: "true",
      FEDERATION_QUEUE_POLL_MS: "100",
      ...(process.env.FEDERATION_QUEUE_CONCURRENCY
        ? { FEDERATION_QUEUE_CONCURRENCY: process.env.FEDERATION_QUEUE_CONCURRENCY }
        : {}),
      ...(process.env.FEDERATION_QUEUE_PER_HOST
        ? { FEDERATION_QUEUE_PER_HOST: process.env.FEDERATION_QUEUE_PER_HOST }
        : {}),
      LOG_LEVEL: "info",
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    },
  });
  try {
    const school = await createSchool(service.url, "bench");
    const course = await school.instructor.post<{ id: string }>("/courses", {
      title: "Fan-out",
      course_type: "cohort",
    });
    expectStatus(course, 201);
    const courseActor = `${origin}/ap/actors/${course.body.id}`;

    // Follow phase: every remote actor follows the course with a signed Follow.
    const followStarted = performance.now();
    const followers = remotes
      .flatMap((remote, r) =>
        Array.from({ length: PER_SERVER }, (_, n) => ({
          remote,
          actor: `${remote.origin}/users/${r * PER_SERVER + n}`,
        })),
      )
      .slice(0, FOLLOWERS);
    await pool(followers, 16, async ({ remote, actor }) => {
      const body = JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${actor}/follows/1`,
        type: "Follow",
        actor,
        object: courseActor,
      });
      const request = new Request(`${courseActor}/inbox`, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body,
      });
      const signed = await signRequest(request, remote.keys.privateKey, new URL(`${actor}#main-key`), {
        spec: "draft-cavage-http-signatures-12",
      });
      const response = await fetch(signed);
      if (response.status !== 202)
        throw new Error(`Follow of ${actor}: ${response.status} ${await response.text()}`);
    });
    await waitFor(
      `${FOLLOWERS} followers recorded`,
      async () => {
        const res = await fetch(`${courseActor}/followers`, {
          headers: { accept: "application/activity+json" },
        });
        return ((await res.json()) as { totalItems?: number }).totalItems === FOLLOWERS;
      },
      Math.max(1000, DEADLINE - Date.now()),
      250,
    );
    const followSeconds = (performance.now() - followStarted) / 1000;
    await waitFor(
      "the Accepts",
      async () => accepts >= FOLLOWERS,
      Math.max(1000, DEADLINE - Date.now()),
      100,
    ).catch(() => {});

    // Fan-out phase: one lesson to every follower.
    const expectedInboxes = args.shared ? remotes.length : FOLLOWERS;
    const rssBefore = await rssKiB(service.process.pid as number, "VmRSS");
    const heapBefore = (
      (await (await fetch(`${service.url}/health`)).json()) as { checks: { memory: { heapUsed: number } } }
    ).checks.memory.heapUsed;
    let peakRss = 0;
    const sampler = setInterval(async () => {
      peakRss = Math.max(peakRss, await rssKiB(service.process.pid as number, "VmRSS"));
    }, 20);
    arrivals.length = 0;
    publishStartedAt = performance.now();
    const lesson = await school.instructor.post(`/courses/${course.body.id}/content`, {
      content_type: "lesson",
      title: "Fan-out lesson",
      body: "One activity, many inboxes",
    });
    expectStatus(lesson, 201);
    await waitFor(
      `${expectedInboxes} deliveries`,
      async () => arrivals.length >= expectedInboxes,
      Math.max(1000, DEADLINE - Date.now()),
      10,
    ).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500)); // late duplicates, if any
    clearInterval(sampler);

    const latencies = arrivals.map((a) => a.at - publishStartedAt).sort((x, y) => x - y);
    const unique = new Set(arrivals.map((a) => a.inbox)).size;
    const lastMs = latencies.at(-1) ?? Number.NaN;
    const result = {
      followers: FOLLOWERS,
      servers: SERVERS,
      inboxes: expectedInboxes,
      mode: args.shared ? "shared inbox per server" : "personal inbox per follower",
      database: process.env.TEST_DATABASE_URL ? "postgresql" : "embedded PGlite",
      follow_phase_seconds: Math.round(followSeconds * 10) / 10,
      deliveries: arrivals.length,
      deliveries_per_second: Math.round((unique / lastMs) * 1000),
      latency_ms: {
        first: Math.round(latencies[0] ?? Number.NaN),
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
        max: Math.round(lastMs),
      },
      rss_mib_before_fanout: Math.round(rssBefore / 1024),
      heap_used_mib_before_fanout: Math.round(heapBefore / 2 ** 20),
      peak_rss_mib_during_fanout: Math.round(peakRss / 1024),
      peak_rss_mib_process: Math.round((await rssKiB(service.process.pid as number, "VmHWM")) / 1024),
      lost: expectedInboxes - unique,
      duplicates: arrivals.length - unique,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (result.lost !== 0) process.exitCode = 1;
  } finally {
    await service.stop();
    await Promise.all(remotes.map((r) => r.close()));
  }
}

await main();

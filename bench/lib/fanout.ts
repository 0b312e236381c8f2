/**
 * Fan-out: one activity to N remote followers spread over H loopback ActivityPub servers, each
 * follower with its own inbox (no shared inbox, so Fedify cannot collapse the fan-out to one request
 * per host), delivered by one and then two worker processes.
 *
 * Processes: one `NODE_TYPE=web` FediFlow process takes the signed follows and the publish request;
 * `NODE_TYPE=worker` processes drain the durable queue. A first worker handles the follow phase (verifies
 * the follows, answers Accept) and is stopped; then a fresh worker delivers lessons alone, and with a
 * second worker beside it more (for each worker count an unmeasured warm-up lesson, then `lessons`
 * measured ones: one run of a fan-out varies by ±20 % here, so one lesson is not a figure). Every
 * process shares one PostgreSQL database (a fresh one on TEST_DATABASE_URL's server, dropped
 * afterwards).
 * The H servers run in the benchmark process and record when each inbox received each activity.
 * Latency is end to end: from the publish request to the inbox, one clock. Bounded: each phase gives
 * up after `deadlineMs`, and every process is stopped by its PID.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { generateCryptoKeyPair } from "@fedify/fedify";
import { CryptographicKey, Endpoints, Person } from "@fedify/vocab";
import { generateKeyPair } from "../../src/federation/keys.ts";
import { createSchool, expectStatus } from "../../test/support/api.ts";
import { createTestDatabase } from "../../test/support/database.ts";
import { freePort, pollUntil } from "../../test/support/processes.ts";
import { signedFollow } from "../../test/support/signed-follow.ts";
import { cpuMicros, load1, machineBusyMicros, rssMb } from "./measure.ts";
import { type Service, startService } from "./processes.ts";
import { type FanoutCpu, type FanoutResult, medianLesson } from "./report.ts";

interface Arrival {
  inbox: string;
  activity: string;
  at: number;
}

interface Remote {
  origin: string;
  /** TCP connections accepted so far (connection reuse: far fewer than the deliveries). */
  connections(): number;
  keys: Awaited<ReturnType<typeof generateCryptoKeyPair>>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** One remote instance: actors at /users/{n} with their own inboxes (or one shared inbox with `shared`). */
async function startRemote(
  index: number,
  shared: boolean,
  onActivity: (inbox: string, body: { id?: string; type?: string }) => void,
): Promise<Remote> {
  const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const documents = new Map<string, string>();
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("#")[0] as string;
    if (req.method === "POST") {
      const body = JSON.parse(await readBody(req)) as { id?: string; type?: string };
      onActivity(`${origin}${path}`, body);
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
          ...(shared ? { endpoints: new Endpoints({ sharedInbox: new URL(`${origin}/inbox`) }) } : {}),
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
  let connections = 0;
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    keys,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function inParallel<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

interface CpuSnapshot {
  workers: number;
  web: number;
  benchmark: number;
  machine: number;
}

/** CPU time used so far (µs): by the worker processes, the web process, this process, the whole machine. */
async function cpuSnapshot(workers: Service[], web: Service): Promise<CpuSnapshot> {
  const [workerTimes, webTime, machine] = await Promise.all([
    Promise.all(workers.map((w) => cpuMicros(w.pid))),
    cpuMicros(web.pid),
    machineBusyMicros(),
  ]);
  const own = process.cpuUsage();
  return {
    workers: workerTimes.reduce((a, b) => a + b, 0),
    web: webTime,
    benchmark: own.user + own.system,
    machine,
  };
}

/**
 * Where the machine's CPU went between two snapshots, in ms per delivery (two decimals): the workers,
 * the web process, this process (the inbox servers and the bookkeeping), the rest (PostgreSQL, mostly)
 * and the machine in all.
 */
function cpuPerDelivery(before: CpuSnapshot, after: CpuSnapshot, deliveries: number): FanoutCpu {
  const per = (micros: number) => Math.round((micros / 1000 / Math.max(1, deliveries)) * 100) / 100;
  const spent = (key: keyof CpuSnapshot) => after[key] - before[key];
  const named = spent("workers") + spent("web") + spent("benchmark");
  return {
    workers: per(spent("workers")),
    web: per(spent("web")),
    inboxServers: per(spent("benchmark")),
    rest: per(Math.max(0, spent("machine") - named)),
    machine: per(spent("machine")),
  };
}

/**
 * CPU time of one signature with a new actor's RSA key (2048 bits, PKCS#1 v1.5, SHA-256) through
 * WebCrypto, in ms (mean of `count` signatures one after another, this process): the least a delivery
 * costs, since every request to a distinct inbox is signed for its own target and date (HTTP
 * Signatures; RFC 9421).
 */
export async function signatureCpuMs(count = 300): Promise<number> {
  const { privateKey } = await generateKeyPair("RSASSA-PKCS1-v1_5");
  const data = new TextEncoder().encode("(request-target): post /users/1/inbox\nhost: 127.0.0.1\ndate: now");
  await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, data); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, data);
  const used = process.cpuUsage(before);
  return Math.round(((used.user + used.system) / 1000 / count) * 1000) / 1000;
}

export interface FanoutOptions {
  followers: number;
  hosts: number;
  /** Worker counts to measure, in order (each adds workers to the ones already running). */
  workers: number[];
  /** Measured lessons per worker count, after one unmeasured warm-up (1); see medianLesson. */
  lessons?: number;
  /** One shared inbox per host instead of one inbox per follower (for comparison only). */
  shared?: boolean;
  /** The FediFlow tree the web and worker processes run (BENCH_BASELINE); this checkout unless given. */
  root?: string;
  /** Extra environment for every FediFlow process (FEDERATION_QUEUE_*). */
  env?: Record<string, string>;
  /** Flags for every FediFlow process (Node). */
  nodeArgs?: string[];
  /** Write a CPU profile of each delivering worker process into this directory. */
  cpuProfileDir?: string;
  deadlineMs?: number;
  log?: (line: string) => void;
}

export async function measureFanout(options: FanoutOptions): Promise<FanoutResult[]> {
  const { followers: count, hosts, shared = false } = options;
  const deadlineMs = options.deadlineMs ?? 120_000;
  const log = options.log ?? (() => {});
  const perHost = Math.ceil(count / hosts);
  const arrivals: Arrival[] = [];
  let accepts = 0;
  const remotes = await Promise.all(
    Array.from({ length: hosts }, (_, i) =>
      startRemote(i, shared, (inbox, body) => {
        if (body.type === "Accept") accepts++;
        else arrivals.push({ inbox, activity: String(body.id), at: performance.now() });
      }),
    ),
  );
  if (!process.env.TEST_DATABASE_URL)
    throw new Error("the fan-out runs several processes on one PostgreSQL: set TEST_DATABASE_URL");
  const database = await createTestDatabase();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const common = {
    FEDERATION_ORIGIN: origin,
    FEDERATION_ALLOW_PRIVATE_ADDRESSES: "true",
    FEDERATION_QUEUE_POLL_MS: "100",
    // As the figure was taken: no OTLP export, warnings and errors logged.
    OTEL_SDK_DISABLED: "true",
    LOG_LEVEL: "warning",
    ...options.env,
  };
  const web = await startService({
    runtime: "node",
    root: options.root,
    nodeArgs: options.nodeArgs,
    database,
    env: { ...common, PORT: String(port), NODE_TYPE: "web" },
  });
  const startWorker = (profile: boolean) =>
    startService({
      runtime: "node",
      root: options.root,
      nodeArgs: options.nodeArgs,
      database,
      env: { ...common, NODE_TYPE: "worker" },
      cpuProfileDir: profile ? options.cpuProfileDir : undefined,
    });
  const workers: Service[] = [];
  try {
    const school = await createSchool(web.url, "fanout");
    const course = await school.instructor.post<{ id: string }>("/courses", {
      title: "Fan-out",
      course_type: "cohort",
    });
    expectStatus(course, 201);
    const courseActor = `${origin}/ap/actors/${course.body.id}`;

    // Follow phase (not measured): every remote actor follows the course with a signed Follow.
    const followWorker = await startWorker(false);
    const followStarted = performance.now();
    const followers = remotes
      .flatMap((remote, r) =>
        Array.from({ length: perHost }, (_, n) => ({
          remote,
          actor: `${remote.origin}/users/${r * perHost + n}`,
        })),
      )
      .slice(0, count);
    await inParallel(followers, 16, async ({ remote, actor }) => {
      const response = await fetch(
        await signedFollow({
          inbox: `${courseActor}/inbox`,
          actor,
          object: courseActor,
          privateKey: remote.keys.privateKey,
        }),
      );
      if (response.status !== 202)
        throw new Error(`Follow of ${actor}: ${response.status} ${await response.text()}`);
    });
    await pollUntil(
      async () => {
        const res = await fetch(`${courseActor}/followers`, {
          headers: { accept: "application/activity+json" },
        });
        return ((await res.json()) as { totalItems?: number }).totalItems === count && accepts >= count;
      },
      { timeoutMs: deadlineMs, intervalMs: 250, description: `${count} followers recorded and accepted` },
    );
    log(`follow phase: ${count} followers in ${Math.round(performance.now() - followStarted) / 1000} s`);
    await followWorker.stop();

    const results: FanoutResult[] = [];
    const expected = shared ? hosts : count;
    /** Publishes one lesson; resolves with the deliveries of its Create and when the request was sent. */
    const publish = async (title: string) => {
      // One activity is published at a time: the ids not seen before are this lesson's Create. Only
      // what arrived since is scanned: the poll below runs every 10 ms on the machine being measured.
      const earlier = new Set(arrivals.map((a) => a.activity));
      const since = arrivals.length;
      const mine = () => arrivals.slice(since).filter((a) => !earlier.has(a.activity));
      const publishedAt = performance.now();
      const created = await school.instructor.post(`/courses/${course.body.id}/content`, {
        content_type: "lesson",
        title,
        body: "One activity, many inboxes",
      });
      expectStatus(created, 201);
      await pollUntil(() => mine().length >= expected, {
        timeoutMs: deadlineMs,
        intervalMs: 10,
        description: `${expected} deliveries of ${title}`,
      }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 500)); // late duplicates, if any
      return { publishedAt, received: mine() };
    };
    /** One measured lesson with the workers running now. */
    const measuredLesson = async (title: string, wanted: number): Promise<FanoutResult> => {
      let peakRss = 0;
      const sampler = setInterval(() => {
        for (const w of workers)
          rssMb(w.pid).then(
            (mb) => {
              peakRss = Math.max(peakRss, mb);
            },
            () => {},
          );
      }, 50);
      const connections = () => remotes.reduce((sum, r) => sum + r.connections(), 0);
      const connectionsBefore = connections();
      const before = await cpuSnapshot(workers, web);
      const { publishedAt, received } = await publish(title);
      clearInterval(sampler);
      // Includes the 500 ms watched for late duplicates, when the workers are idle.
      const cpu = cpuPerDelivery(before, await cpuSnapshot(workers, web), received.length);
      const latencies = received.map((a) => a.at - publishedAt).sort((x, y) => x - y);
      const unique = new Set(received.map((a) => a.inbox)).size;
      const lastMs = latencies.at(-1) ?? Number.NaN;
      return {
        workers: wanted,
        followers: count,
        hosts,
        deliveries: received.length,
        deliveriesPerSecond: Math.round((unique / lastMs) * 1000),
        latencyMs: {
          first: Math.round(latencies[0] ?? Number.NaN),
          p50: Math.round(percentile(latencies, 50)),
          p95: Math.round(percentile(latencies, 95)),
          max: Math.round(lastMs),
        },
        lost: expected - unique,
        duplicated: received.length - unique,
        peakRssMb: peakRss,
        workerCpuMsPerDelivery: cpu.workers,
        cpuMsPerDelivery: cpu,
        cpuBoundCeilingPerSecond: Math.round((availableParallelism() * 1000) / cpu.machine),
        connectionsOpened: connections() - connectionsBefore,
        load: load1(),
      };
    };
    for (const wanted of options.workers) {
      while (workers.length < wanted) workers.push(await startWorker(true));
      // Unmeasured: a fresh worker's first delivery pays for JIT, key import and connections.
      await publish(`Warm-up for ${wanted} worker(s)`);
      const lessons: FanoutResult[] = [];
      for (let lesson = 1; lesson <= (options.lessons ?? 1); lesson++) {
        lessons.push(await measuredLesson(`Fan-out ${lesson} with ${wanted} worker(s)`, wanted));
        log(`fan-out with ${wanted} worker(s), lesson ${lesson}: ${JSON.stringify(lessons.at(-1))}`);
      }
      const result = medianLesson(lessons);
      log(`fan-out with ${wanted} worker(s): ${JSON.stringify(result)}`);
      results.push(result);
    }
    return results;
  } finally {
    for (const w of workers) await w.stop();
    await web.stop();
    await database.drop();
    await Promise.all(remotes.map((r) => r.close()));
  }
}

import assert from "node:assert/strict";
import postgres from "postgres";
import { Api, type ApiResponse, createSchool, expectStatus, type School } from "../support/api.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { freePort, pollUntil } from "../support/processes.ts";
import { ADMIN_TOKEN, type Runtime, type SpawnedServer, spawnServer } from "../support/spawn.ts";

/** Queue settings that make retries and circuit recovery take milliseconds instead of minutes. */
export const FAST_FEDERATION = {
  FEDERATION_ALLOW_PRIVATE_ADDRESSES: "true",
  FEDERATION_QUEUE_POLL_MS: "100",
  FEDERATION_RETRY_BASE_MS: "200",
  FEDERATION_RETRY_MAX_MS: "1500",
  FEDERATION_CIRCUIT_THRESHOLD: "3",
  FEDERATION_CIRCUIT_RECOVERY_MS: "300",
  FEDERATION_QUEUE_LEASE_MS: "10000",
};

/** One FediFlow instance with a fixed port and its own database, which survive restarts. */
export class Instance {
  readonly name: string;
  readonly port: number;
  readonly database: TestDatabase;
  readonly env: Record<string, string>;
  readonly runtime: Runtime;
  server: SpawnedServer | undefined;

  private constructor(
    name: string,
    port: number,
    database: TestDatabase,
    env: Record<string, string>,
    runtime: Runtime,
  ) {
    this.name = name;
    this.port = port;
    this.database = database;
    this.env = env;
    this.runtime = runtime;
  }

  static async create(
    name: string,
    env: Record<string, string> = {},
    runtime: Runtime = "node",
  ): Promise<Instance> {
    return new Instance(name, await freePort(), await createTestDatabase(), env, runtime);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = await spawnServer({
      runtime: this.runtime,
      database: this.database,
      env: {
        ...FAST_FEDERATION,
        PORT: String(this.port),
        FEDERATION_ORIGIN: this.url,
        OTEL_SERVICE_NAME: `fediflow-${this.name}`,
        ...this.env,
      },
    });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  /** Stops the server if running and drops its database. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    await this.database.drop().catch(() => {});
  }

  /** Direct SQL on the instance's database: only with a PostgreSQL server (PGlite is owned by the child). */
  async sql<T extends object>(query: (sql: postgres.Sql) => Promise<T[]>): Promise<T[] | undefined> {
    const url = this.database.env.DATABASE_URL;
    if (!url) return undefined;
    const client = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await query(client);
    } finally {
      await client.end();
    }
  }

  admin(): Api {
    return new Api(this.url, { token: ADMIN_TOKEN });
  }

  async instances(): Promise<InstancesReport> {
    const response = await this.admin().get<InstancesReport>("/ops/federation/instances");
    expectStatus(response, 200);
    return response.body;
  }

  async metrics(): Promise<string> {
    const response = await fetch(`${this.url}/metrics`);
    return response.text();
  }
}

export interface InstancesReport {
  items: {
    host: string;
    circuit: "open" | "closed";
    consecutive_failures: number;
    open_count: number;
    delivered_total: number;
    failed_total: number;
    last_success_at: string | null;
  }[];
  queue: { depth: number; oldest_due_age_seconds: number; dead_letters: number };
}

/** The sum of a counter's samples whose labels include all of `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Waits for `probe` to return a value other than undefined or false (see pollUntil). */
export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  return pollUntil(probe, { timeoutMs, intervalMs, description: what });
}

/** The ActivityPub id of a course on an instance, found through its WebFinger handle. */
export async function courseActor(instance: Instance, slug: string, courseId: string): Promise<string> {
  const resource = `acct:${slug}.course-${courseId}@${instance.host}`;
  const response = await fetch(
    `${instance.url}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`,
  );
  assert.equal(response.status, 200, `WebFinger for ${resource}`);
  const jrd = (await response.json()) as { subject: string; links: { rel: string; href: string }[] };
  assert.equal(jrd.subject, resource);
  const self = jrd.links.find((l) => l.rel === "self");
  assert.ok(self, "WebFinger has a self link");
  return self.href;
}

export interface Timeline {
  items: { id: string; activity: string; type: string; actor: string; content: Record<string, unknown> }[];
}

/** Every item of a tenant's federated timeline (all pages). */
export async function timeline(api: Api): Promise<Timeline["items"]> {
  const items: Timeline["items"] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<Timeline & { next_cursor: string | null }> = await api.get(
      `/federation/timeline?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expectStatus(page, 200);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

/** A school with a course on `origin` and a school on `remote` whose student follows that course. */
export async function followCourse(
  origin: Instance,
  remote: Instance,
  slugs: { origin: string; remote: string },
): Promise<{ a: School; b: School; courseId: string; actor: string; followingId: string }> {
  const a = await createSchool(origin.url, slugs.origin);
  const b = await createSchool(remote.url, slugs.remote);
  const course = await a.instructor.post<{ id: string }>("/courses", {
    title: "Distributed systems",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  const actor = await courseActor(origin, slugs.origin, course.body.id);
  const follow = await b.student.post<{ id: string; state: string }>("/federation/following", { actor });
  expectStatus(follow, 202);
  await waitFor("the Follow to be accepted", async () => {
    const list = await b.student.get<{ items: { id: string; state: string }[] }>("/federation/following");
    return list.body.items.find((f) => f.id === follow.body.id && f.state === "accepted");
  });
  return { a, b, courseId: course.body.id, actor, followingId: follow.body.id };
}

/** Publishes lessons `from` … `from + count - 1` in a course of A. */
export async function publishLessons(
  school: School,
  courseId: string,
  count: number,
  from: number,
): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const created = await school.instructor.post(`/courses/${courseId}/content`, {
      content_type: "lesson",
      title: `Lesson ${i}`,
      body: `Body of lesson ${i}`,
    });
    expectStatus(created, 201);
  }
}

/** Every lesson 0 … count-1 arrived, each activity once. */
export function assertExactlyOnce(
  items: { activity: string; content: Record<string, unknown> }[],
  count: number,
): void {
  assert.equal(items.length, count, "one timeline row per published lesson");
  assert.equal(new Set(items.map((i) => i.activity)).size, count, "no activity stored twice");
  const titles = new Set(items.map((i) => String(i.content.name)));
  for (let i = 0; i < count; i++) assert.ok(titles.has(`Lesson ${i}`), `Lesson ${i} arrived`);
}

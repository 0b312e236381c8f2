/**
 * The FediFlow user journey for k6, shared by every scenario script: a student of one of several
 * tenants signs in once per VU, lists courses, enrols, reads content, sometimes posts a discussion.
 * Scenario shapes and thresholds come from ../scenarios.json and ../thresholds.json, the same files the
 * Node runner (npm run loadtest) uses.
 */
import { check, fail } from "k6";
import exec from "k6/execution";
import http, { type RefinedResponse, type ResponseType } from "k6/http";
import { Counter, Trend } from "k6/metrics";
import type { Options } from "k6/options";
import { bucketDelta, compareRoute, histogramQuantile } from "../shared/histogram.ts";

interface RouteLimits {
  p95: number;
  p99: number;
}
interface Stage {
  duration: string;
  target: number;
}
interface ScenarioShape {
  preAllocatedVUs: number;
  maxVUs: number;
  stages: Stage[];
  publishShare?: number;
}

const thresholds = JSON.parse(open("../thresholds.json")) as {
  errorRate: number;
  routes: Record<string, RouteLimits>;
};
const shapes = JSON.parse(open("../scenarios.json")) as {
  tenants: number;
  studentsPerTenant: number;
  coursesPerTenant: number;
  scenarios: Record<string, ScenarioShape>;
  mix: { readContent: number; readLesson: number; postDiscussion: number };
};

const BASE = __ENV.BASE_URL ?? "http://127.0.0.1:3000";
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN ?? "";
const PASSWORD = "load test password";

export interface Fixture {
  runId: string;
  tenants: { slug: string; courses: string[]; lessons: string[] }[];
  before: string;
}

/** k6 options for a scenario: ramping arrival rate, thresholds per route tag and on errors. */
export function optionsFor(name: string): Options {
  const shape = shapes.scenarios[name];
  if (!shape) throw new Error(`unknown scenario ${name}`);
  const routeThresholds: Record<string, string[]> = {};
  for (const [route, limits] of Object.entries(thresholds.routes)) {
    routeThresholds[`http_req_duration{route:${route}}`] = [`p(95)<${limits.p95}`, `p(99)<${limits.p99}`];
    routeThresholds[`http_reqs{route:${route}}`] = ["count>=0"];
    routeThresholds[`server_p95_ms{route:${route}}`] = ["max>=0"];
    routeThresholds[`server_requests{route:${route}}`] = ["count>=0"];
  }
  return {
    scenarios: {
      [name]: {
        executor: "ramping-arrival-rate",
        startRate: 0,
        timeUnit: "1s",
        preAllocatedVUs: shape.preAllocatedVUs,
        maxVUs: shape.maxVUs,
        stages: shape.stages,
      },
    },
    thresholds: { http_req_failed: [`rate<${thresholds.errorRate}`], ...routeThresholds },
    setupTimeout: "5m",
  };
}

function json<T>(response: RefinedResponse<ResponseType | undefined>): T {
  return JSON.parse(String(response.body)) as T;
}

function send(method: string, path: string, route: string, headers: Record<string, string>, body?: unknown) {
  return http.request(method, `${BASE}/api/v1${path}`, body === undefined ? null : JSON.stringify(body), {
    headers: { "content-type": "application/json", ...headers },
    tags: { route: `${method} ${route}` },
  });
}

/** Creates the tenants, students, courses and lessons the journey uses, and scrapes /metrics once. */
export function createFixture(): Fixture {
  if (!ADMIN_TOKEN) fail("set ADMIN_TOKEN to the service's admin token");
  const runId = `${Date.now().toString(36)}`;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const tenants: Fixture["tenants"] = [];
  for (let t = 0; t < shapes.tenants; t++) {
    const slug = `load-${runId}-${t}`;
    const created = send("POST", "/tenants", "/api/v1/tenants", admin, {
      slug,
      name: `Load ${t}`,
      admin: { username: "principal", email: `p@${slug}.example`, password: PASSWORD },
    });
    check(created, { "tenant created": (r) => r.status === 201 }) ||
      fail(`tenant: ${created.status} ${created.body}`);
    const login = send(
      "POST",
      "/sessions",
      "/api/v1/sessions",
      { "x-tenant-id": slug },
      { username: "principal", password: PASSWORD },
    );
    const staff = { "x-tenant-id": slug, authorization: `Bearer ${json<{ token: string }>(login).token}` };
    for (let s = 0; s < shapes.studentsPerTenant; s++) {
      send("POST", "/users", "/api/v1/users", staff, {
        username: `student${s}`,
        email: `s${s}@${slug}.example`,
        password: PASSWORD,
        role: "student",
      });
    }
    const courses: string[] = [];
    const lessons: string[] = [];
    for (let c = 0; c < shapes.coursesPerTenant; c++) {
      const course = json<{ id: string }>(
        send("POST", "/courses", "/api/v1/courses", staff, { title: `Course ${c}`, course_type: "cohort" }),
      );
      courses.push(course.id);
      const lesson = send("POST", `/courses/${course.id}/content`, "/api/v1/courses/:id/content", staff, {
        content_type: "lesson",
        title: `Lesson ${c}`,
        body: "Read me.",
      });
      lessons.push(json<{ id: string }>(lesson).id);
    }
    tenants.push({ slug, courses, lessons });
  }
  return { runId, tenants, before: String(http.get(`${BASE}/metrics`).body) };
}

let session: Record<string, string> | undefined;

/** One journey; `publishShare` overrides the share of journeys that post (the federation scenario). */
export function journey(fixture: Fixture, publishShare = shapes.mix.postDiscussion): void {
  const vu = exec.vu.idInTest;
  const tenant = fixture.tenants[vu % fixture.tenants.length] as Fixture["tenants"][number];
  if (!session) {
    const username = `student${vu % shapes.studentsPerTenant}`;
    const login = send(
      "POST",
      "/sessions",
      "/api/v1/sessions",
      { "x-tenant-id": tenant.slug },
      { username, password: PASSWORD },
    );
    if (!check(login, { "signed in": (r) => r.status === 201 })) return;
    session = { "x-tenant-id": tenant.slug, authorization: `Bearer ${json<{ token: string }>(login).token}` };
  }
  const list = send("GET", "/courses?limit=20", "/api/v1/courses", session);
  check(list, { "courses listed": (r) => r.status === 200 });
  const pick = Math.floor(Math.random() * tenant.courses.length);
  const course = tenant.courses[pick] as string;
  // Enrolling is idempotent, so every journey enrols and may then read the course's content.
  const enrol = send("POST", `/courses/${course}/enrollments`, "/api/v1/courses/:id/enrollments", session);
  check(enrol, { enrolled: (r) => r.status === 201 || r.status === 200 });
  if (Math.random() < shapes.mix.readContent) {
    const content = send("GET", `/courses/${course}/content`, "/api/v1/courses/:id/content", session);
    check(content, { "content read": (r) => r.status === 200 });
  }
  if (Math.random() < shapes.mix.readLesson) {
    send("GET", `/content/${tenant.lessons[pick]}`, "/api/v1/content/:id", session);
  }
  if (Math.random() < publishShare) {
    const post = send("POST", `/courses/${course}/content`, "/api/v1/courses/:id/content", session, {
      content_type: "discussion",
      title: "Question",
      body: `From VU ${vu}`,
    });
    check(post, { "discussion posted": (r) => r.status === 201 });
  }
}

const serverP95 = new Trend("server_p95_ms");
const serverRequests = new Counter("server_requests");

/**
 * After the run: the server's own view from its histogram (delta of /metrics, or Prometheus when
 * PROMETHEUS_URL is set), recorded as metrics so handleSummary can compare it with the client's.
 */
export function recordServerView(fixture: Fixture): void {
  const after = String(http.get(`${BASE}/metrics`).body);
  for (const route of Object.keys(thresholds.routes)) {
    const [method, path] = route.split(" ") as [string, string];
    const delta = bucketDelta(fixture.before, after, method, path);
    serverRequests.add(delta.count, { route });
    const p95 = histogramQuantile(delta.buckets, 0.95);
    if (p95 !== undefined) serverP95.add(p95 * 1000, { route });
  }
}

interface SummaryMetric {
  values: Record<string, number>;
}

/** Compares client and server p95 per route (bucket resolution + network allowance) and request counts. */
export function compareViews(metrics: Record<string, SummaryMetric>): string[] {
  const problems: string[] = [];
  for (const route of Object.keys(thresholds.routes)) {
    const serverP95 = metrics[`server_p95_ms{route:${route}}`]?.values.max;
    const serverCount = metrics[`server_requests{route:${route}}`]?.values.count ?? 0;
    // Rebuild a one-bucket view around the server's p95 from the exported bucket bounds.
    const bounds = [0.001, 0.01, 0.1, 1, 5, 10, Number.POSITIVE_INFINITY];
    const buckets =
      serverP95 === undefined
        ? []
        : bounds.map((le) => ({ le, count: le * 1000 >= serverP95 ? serverCount : 0 }));
    const comparison = compareRoute(
      route,
      {
        count: metrics[`http_reqs{route:${route}}`]?.values.count ?? 0,
        p95Ms: metrics[`http_req_duration{route:${route}}`]?.values["p(95)"],
      },
      { buckets, count: serverCount },
    );
    problems.push(...comparison.problems.map((p) => `${route}: ${p}`));
  }
  return problems;
}

/**
 * Everything a scenario script exports, so each script is only its name: k6 reads `options`, `setup`,
 * the default function, `teardown` and `handleSummary` as named exports of the script itself.
 */
export function scenarioScript(name: string, publishShare?: number) {
  return {
    options: optionsFor(name),
    setup: createFixture,
    run: (fixture: Fixture) => journey(fixture, publishShare),
    teardown: recordServerView,
    handleSummary(data: { metrics: Record<string, SummaryMetric> }) {
      const problems = compareViews(data.metrics);
      const verdict = problems.length === 0 ? "client and server views agree" : problems.join("\n");
      return {
        stdout: `${verdict}\n`,
        [`loadtest-${name}-summary.json`]: JSON.stringify({ problems, metrics: data.metrics }, null, 2),
      };
    },
  };
}

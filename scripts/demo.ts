/**
 * npm run demo [-- --url http://127.0.0.1:3000]
 *
 * Creates a demo school on a running instance through its API: a tenant `demo` with an admin, two
 * instructors, four students, three courses, enrolments, lessons, a quiz, an announcement and
 * discussions, so the dashboards, traces, logs and the load test have something real to show. Run it
 * again and it creates only what is missing. The admin token is ADMIN_TOKEN, else the one the instance
 * generated in DATA_DIR (./data/admin-token) on a development start. Prints how to sign in.
 */
import { parseArgs } from "node:util";
import { localAdminToken } from "../src/platform/http/admin-token.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
  },
});
const base = values.url.replace(/\/$/, "");
const TENANT = "demo";
const PASSWORD = "demo password"; // everyone's; a demo, not a deployment

interface Person {
  username: string;
  display_name: string;
  role: "admin" | "instructor" | "student";
}
const ADMIN: Person = { username: "principal", display_name: "Pat Principal", role: "admin" };
const PEOPLE: Person[] = [
  { username: "ada", display_name: "Ada Lovelace", role: "instructor" },
  { username: "grace", display_name: "Grace Hopper", role: "instructor" },
  { username: "alan", display_name: "Alan Turing", role: "student" },
  { username: "barbara", display_name: "Barbara Liskov", role: "student" },
  { username: "claude", display_name: "Claude Shannon", role: "student" },
  { username: "dorothy", display_name: "Dorothy Vaughan", role: "student" },
];
const COURSES = [
  {
    title: "Introduction to Algebra",
    course_type: "cohort",
    instructor: "ada",
    description: "Equations, functions and the first proofs, in weekly cohorts.",
    students: ["alan", "barbara", "claude"],
    content: [
      { content_type: "lesson", title: "Week 1: Linear equations", body: "Solve ax + b = c, and check it." },
      { content_type: "quiz", title: "Quiz 1", body: "1. Solve 3x + 2 = 11. 2. Is 0 a solution of x² = x?" },
    ],
  },
  {
    title: "Programming Languages",
    course_type: "self_paced",
    instructor: "grace",
    description: "From machine code to compilers, at your own pace.",
    students: ["barbara", "dorothy"],
    content: [
      {
        content_type: "lesson",
        title: "What a compiler does",
        body: "It translates a program into another language.",
      },
      {
        content_type: "announcement",
        title: "Welcome",
        body: "Start with the first lesson; ask anything in the discussion.",
      },
    ],
  },
  {
    title: "Live Physics Lab",
    course_type: "live",
    instructor: "ada",
    description: "Experiments streamed live every Thursday.",
    students: ["claude", "dorothy", "alan"],
    content: [
      {
        content_type: "assignment",
        title: "Measure g",
        body: "Time a pendulum and report g with its error.",
      },
    ],
  },
] as const;
const DISCUSSIONS: Record<string, { author: string; title: string; body: string }> = {
  "Introduction to Algebra": {
    author: "alan",
    title: "Why does x² = x have two solutions?",
    body: "I only found 1.",
  },
  "Programming Languages": {
    author: "barbara",
    title: "Abstraction",
    body: "Where does an abstract data type end?",
  },
};

class DemoError extends Error {}

async function call<T>(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new DemoError(`No FediFlow API answers at ${base} (${String(error)}): start it with npm start`);
  }
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** Fails with the API's own error message unless the status is one of `ok`. */
function expect(result: { status: number; body: unknown }, ok: number[], what: string) {
  if (!ok.includes(result.status))
    throw new DemoError(`${what}: ${result.status} ${JSON.stringify(result.body)}`);
}

async function signIn(username: string): Promise<Record<string, string>> {
  const login = await call<{ token: string }>(
    "POST",
    "/sessions",
    { "x-tenant-id": TENANT },
    { username, password: PASSWORD },
  );
  expect(login, [201], `signing in as ${username} (the demo password is "${PASSWORD}")`);
  return { "x-tenant-id": TENANT, authorization: `Bearer ${login.body.token}` };
}

/** Every item of a list route (follows next_cursor). */
async function all<T>(path: string, session: Record<string, string>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const page: { status: number; body: { items: T[]; next_cursor: string | null } } = await call(
      "GET",
      `${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      session,
    );
    expect(page, [200], `GET ${path}`);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

async function main(): Promise<void> {
  const adminToken = await localAdminToken(process.env);
  if (!adminToken) {
    throw new DemoError(
      "No admin token: set ADMIN_TOKEN to the instance's, or run this beside an instance started with npm start (it keeps one in ./data/admin-token)",
    );
  }
  const created: string[] = [];
  const tenant = await call(
    "POST",
    "/tenants",
    { authorization: `Bearer ${adminToken}` },
    {
      slug: TENANT,
      name: "Demo School",
      admin: {
        username: ADMIN.username,
        display_name: ADMIN.display_name,
        email: `${ADMIN.username}@demo.example`,
        password: PASSWORD,
      },
    },
  );
  expect(tenant, [201, 409], "creating the demo school");
  if (tenant.status === 201) created.push("school demo");

  const principal = await signIn(ADMIN.username);
  for (const person of PEOPLE) {
    const user = await call("POST", "/users", principal, {
      ...person,
      email: `${person.username}@demo.example`,
      password: PASSWORD,
    });
    expect(user, [201, 409], `creating ${person.username}`);
    if (user.status === 201) created.push(`${person.role} ${person.username}`);
  }

  const sessions = new Map<string, Record<string, string>>();
  const sessionOf = async (username: string) => {
    let session = sessions.get(username);
    if (!session) {
      session = await signIn(username);
      sessions.set(username, session);
    }
    return session;
  };
  const courses = await all<{ id: string; title: string }>("/courses", principal);
  for (const course of COURSES) {
    const instructor = await sessionOf(course.instructor);
    let id = courses.find((c) => c.title === course.title)?.id;
    if (!id) {
      const made = await call<{ id: string }>("POST", "/courses", instructor, {
        title: course.title,
        description: course.description,
        course_type: course.course_type,
      });
      expect(made, [201], `creating the course ${course.title}`);
      id = made.body.id;
      created.push(`course "${course.title}"`);
    }
    for (const student of course.students) {
      const enrolled = await call("POST", `/courses/${id}/enrollments`, await sessionOf(student));
      expect(enrolled, [200, 201], `enrolling ${student} in ${course.title}`);
      if (enrolled.status === 201) created.push(`enrolment of ${student} in "${course.title}"`);
    }
    const existing = new Set(
      (await all<{ title: string }>(`/courses/${id}/content`, instructor)).map((c) => c.title),
    );
    const discussion = DISCUSSIONS[course.title];
    const items = [
      ...course.content.map((item) => ({ ...item, author: course.instructor })),
      ...(discussion ? [{ ...discussion, content_type: "discussion" }] : []),
    ];
    for (const { author, ...item } of items) {
      if (existing.has(item.title)) continue;
      const published = await call("POST", `/courses/${id}/content`, await sessionOf(author), item);
      expect(published, [201], `publishing "${item.title}" in ${course.title}`);
      created.push(`${item.content_type} "${item.title}"`);
    }
  }

  process.stdout.write(
    [
      created.length > 0
        ? `Created: ${created.join(", ")}.`
        : "The demo school was already complete: nothing to create.",
      "",
      `Demo school "${TENANT}" on ${base}. Everyone's password: "${PASSWORD}".`,
      `  admin: ${ADMIN.username} · instructors: ${PEOPLE.filter((p) => p.role === "instructor")
        .map((p) => p.username)
        .join(", ")} · students: ${PEOPLE.filter((p) => p.role === "student")
        .map((p) => p.username)
        .join(", ")}`,
      "",
      "Sign in and call the API:",
      `  TOKEN=$(curl -s -X POST ${base}/api/v1/sessions -H 'X-Tenant-Id: ${TENANT}' -H 'Content-Type: application/json' \\`,
      `    -d '{"username":"alan","password":"${PASSWORD}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
      `  curl ${base}/api/v1/users/me/enrollments -H 'X-Tenant-Id: ${TENANT}' -H "Authorization: Bearer $TOKEN"`,
      "",
      `Or in the browser: ${base}/api/v1/docs → Authorize (tenant: ${TENANT}, bearer: the token) → Try it out.`,
      `Load it: npm run loadtest -- smoke --url ${base}`,
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

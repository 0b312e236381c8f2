import { shapes } from "./scenario.ts";

const PASSWORD = "load test password";

export interface Fixture {
  tenants: { slug: string; courses: string[]; lessons: string[] }[];
}

/** One request's outcome, tagged with the route template the server will label it with. */
export interface Sample {
  route: string;
  status: number;
  ms: number;
}

export class Client {
  readonly baseUrl: string;
  readonly samples: Sample[] = [];
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async send<T>(
    method: string,
    path: string,
    route: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const started = performance.now();
    let status = 0;
    let text = "";
    try {
      const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      status = response.status;
      text = await response.text();
    } catch {
      status = 0;
    }
    this.samples.push({ route: `${method} ${route}`, status, ms: performance.now() - started });
    return { status, body: (text ? JSON.parse(text) : {}) as T };
  }
}

/** Tenants with students, courses and lessons, created through the API with the admin token. */
export async function createFixture(setup: Client, adminToken: string, runId: string): Promise<Fixture> {
  const admin = { authorization: `Bearer ${adminToken}` };
  const tenants: Fixture["tenants"] = [];
  for (let t = 0; t < shapes.tenants; t++) {
    const slug = `load-${runId}-${t}`;
    const created = await setup.send("POST", "/tenants", "/api/v1/tenants", admin, {
      slug,
      name: `Load ${t}`,
      admin: { username: "principal", email: `p@${slug}.example`, password: PASSWORD },
    });
    if (created.status !== 201)
      throw new Error(`creating tenant ${slug}: ${created.status} ${JSON.stringify(created.body)}`);
    const login = await setup.send<{ token: string }>(
      "POST",
      "/sessions",
      "/api/v1/sessions",
      { "x-tenant-id": slug },
      {
        username: "principal",
        password: PASSWORD,
      },
    );
    const staff = { "x-tenant-id": slug, authorization: `Bearer ${login.body.token}` };
    for (let s = 0; s < shapes.studentsPerTenant; s++) {
      await setup.send("POST", "/users", "/api/v1/users", staff, {
        username: `student${s}`,
        email: `s${s}@${slug}.example`,
        password: PASSWORD,
        role: "student",
      });
    }
    const courses: string[] = [];
    const lessons: string[] = [];
    for (let c = 0; c < shapes.coursesPerTenant; c++) {
      const course = await setup.send<{ id: string }>("POST", "/courses", "/api/v1/courses", staff, {
        title: `Course ${c}`,
        course_type: "cohort",
      });
      courses.push(course.body.id);
      const lesson = await setup.send<{ id: string }>(
        "POST",
        `/courses/${course.body.id}/content`,
        "/api/v1/courses/:id/content",
        staff,
        {
          content_type: "lesson",
          title: `Lesson ${c}`,
          body: "Read me.",
        },
      );
      lessons.push(lesson.body.id);
    }
    tenants.push({ slug, courses, lessons });
  }
  return { tenants };
}

/** The same journey as loadtest/k6/journey.ts, one "VU" slot keeping its session across iterations. */
export async function journey(
  client: Client,
  fixture: Fixture,
  vu: number,
  sessions: Map<number, Record<string, string>>,
  publishShare: number,
): Promise<void> {
  const tenant = fixture.tenants[vu % fixture.tenants.length] as Fixture["tenants"][number];
  let session = sessions.get(vu);
  if (!session) {
    const login = await client.send<{ token: string }>(
      "POST",
      "/sessions",
      "/api/v1/sessions",
      { "x-tenant-id": tenant.slug },
      {
        username: `student${vu % shapes.studentsPerTenant}`,
        password: PASSWORD,
      },
    );
    if (login.status !== 201) return;
    session = { "x-tenant-id": tenant.slug, authorization: `Bearer ${login.body.token}` };
    sessions.set(vu, session);
  }
  await client.send("GET", "/courses?limit=20", "/api/v1/courses", session);
  const pick = Math.floor(Math.random() * tenant.courses.length);
  const course = tenant.courses[pick] as string;
  await client.send("POST", `/courses/${course}/enrollments`, "/api/v1/courses/:id/enrollments", session);
  if (Math.random() < shapes.mix.readContent)
    await client.send("GET", `/courses/${course}/content`, "/api/v1/courses/:id/content", session);
  if (Math.random() < shapes.mix.readLesson)
    await client.send("GET", `/content/${tenant.lessons[pick]}`, "/api/v1/content/:id", session);
  if (Math.random() < publishShare) {
    await client.send("POST", `/courses/${course}/content`, "/api/v1/courses/:id/content", session, {
      content_type: "discussion",
      title: "Question",
      body: `From VU ${vu}`,
    });
  }
}

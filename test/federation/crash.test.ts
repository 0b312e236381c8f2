import { after, before, test } from "node:test";
import { Api, type School, signIn } from "../support/api.ts";
import { type PostgresServer, realPostgres } from "../support/postgres-server.ts";
import { assertExactlyOnce, followCourse, Instance, publishLessons, timeline, waitFor } from "./support.ts";

// A crash of the sender (SIGKILL, no graceful drain) with deliveries queued and leased. Needs a
// crash-safe database: TEST_DATABASE_URL's server, or a throwaway PostgreSQL cluster of its own.
let postgresServer: PostgresServer | undefined;
let a: Instance;
let b: Instance;
let schools: { a: School; b: School; courseId: string };

before(async () => {
  if (!process.env.TEST_DATABASE_URL) {
    postgresServer = await realPostgres();
    process.env.TEST_DATABASE_URL = postgresServer.url;
  }
  a = await Instance.create("a");
  b = await Instance.create("b");
  await Promise.all([a.start(), b.start()]);
  schools = await followCourse(a, b, { origin: "crash-a", remote: "crash-b" });
});

after(async () => {
  await Promise.allSettled([a?.destroy(), b?.destroy()]);
  await postgresServer?.stop();
});

test("A killed (SIGKILL) with deliveries queued and leased: delivered after the restart, none lost or duplicated", async () => {
  await publishLessons(schools.a, schools.courseId, 1, 0);
  const student = await signIn(new Api(b.url, { tenant: "crash-b" }), "student");
  await waitFor("the first lesson on B", async () => (await timeline(student)).length >= 1, 60_000, 250);
  await b.stop();
  await publishLessons(schools.a, schools.courseId, 5, 1);
  await waitFor("5 deliveries queued on A", async () => (await a.instances()).queue.depth >= 5);
  await a.server?.stop("SIGKILL");
  a.server = undefined;
  await a.start();
  await b.start();
  const again = await signIn(new Api(b.url, { tenant: "crash-b" }), "student");
  await waitFor("all 6 lessons on B", async () => (await timeline(again)).length >= 6, 60_000, 250);
  await waitFor("A's queue to drain", async () => (await a.instances()).queue.depth === 0);
  assertExactlyOnce(await timeline(again), 6);
});

/**
 * One FediFlow service in this process, driven through `app.request()` for the benchmark's in-process
 * part (bench/lib/in-process.ts): what the read route costs the service's own code, telemetry's
 * included, without sockets, HTTP parsing, or a load generator competing for the two cores.
 *
 * Configured from the environment as `npm start` would be (the benchmark passes DATABASE_URL,
 * REDIS_URL and the telemetry variables); seeds its own tenant with 20 courses; runs
 * BENCH_IN_PROCESS_REQUESTS requests (32 at a time) to warm up, then BENCH_IN_PROCESS_ROUNDS rounds of
 * as many, and sends `{ cpuMicrosPerRequest: number[] }` — this process's user + system CPU µs per
 * request, one figure per round — over the IPC channel before it exits.
 */
import { loadConfig } from "../src/config.ts";
import { configureLogging } from "../src/platform/telemetry/logger.ts";
import { createService } from "../src/service.ts";
import { createSchool, expectStatus } from "../test/support/api.ts";
import { ADMIN_TOKEN } from "../test/support/spawn.ts";

const REQUESTS = Number(process.env.BENCH_IN_PROCESS_REQUESTS);
const ROUNDS = Number(process.env.BENCH_IN_PROCESS_ROUNDS);
if (!(REQUESTS > 0 && ROUNDS > 0))
  throw new Error("BENCH_IN_PROCESS_REQUESTS and BENCH_IN_PROCESS_ROUNDS must be set");
const CONCURRENCY = 32;
const COURSES = 20;

const config = loadConfig(process.env);
const stopLogging = await configureLogging(config);
const service = await createService({ ...config, adminToken: ADMIN_TOKEN });
const school = await createSchool(
  async (path, init) => service.app.request(path, init),
  `in-process-${process.pid}`,
);
for (let i = 0; i < COURSES; i++)
  expectStatus(
    await school.instructor.post("/courses", { title: `Course ${i}`, course_type: "cohort" }),
    201,
  );
const headers = { "x-tenant-id": school.slug, authorization: `Bearer ${school.student.token}` };

/** `count` requests of the read route, CONCURRENCY in flight; any other answer than 200 with 20 rows throws. */
async function requests(count: number): Promise<void> {
  let left = count;
  const client = async () => {
    while (left-- > 0) {
      const response = await service.app.request(`/api/v1/courses?limit=${COURSES}`, { headers });
      const body = (await response.json()) as { items?: unknown[] };
      if (response.status !== 200 || body.items?.length !== COURSES)
        throw new Error(`expected 200 with ${COURSES} courses, got ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
}

await requests(REQUESTS);
const cpuMicrosPerRequest: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.cpuUsage();
  await requests(REQUESTS);
  const used = process.cpuUsage(before);
  cpuMicrosPerRequest.push(Math.round((used.user + used.system) / REQUESTS));
}
await new Promise<void>((resolve, reject) =>
  process.send?.({ cpuMicrosPerRequest }, (error: Error | null) => (error ? reject(error) : resolve())),
);
await service.close();
await stopLogging();
process.disconnect?.();

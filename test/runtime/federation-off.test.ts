/**
 * FEDERATION_ENABLED=false keeps Fedify out of the process (@fedify/fedify and @fedify/vocab are ~30 MB
 * resident at rest: docs/performance.md, "Phase 2, memory"): the real server, started with a preload
 * that records every module it resolves, serves /health and an API route without ever resolving a
 * module of @fedify/*. The same server with federation on resolves them: the record would show an
 * import that crept in.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createSchool, expectStatus } from "../support/api.ts";
import { pollUntil } from "../support/processes.ts";
import { spawnServer } from "../support/spawn.ts";

const dir = await mkdtemp(join(tmpdir(), "fediflow-modules-"));
after(() => rm(dir, { recursive: true, force: true }));

/** Starts the server with federation on or off, exercises it, and returns the modules it resolved. */
async function modulesResolved(federation: "true" | "false"): Promise<string[]> {
  const file = join(dir, `modules-${federation}.txt`);
  const server = await spawnServer({
    runtime: "node",
    env: { FEDERATION_ENABLED: federation, RECORD_MODULES_FILE: file },
    nodeArgs: ["--import", "./test/support/record-modules.ts"],
  });
  try {
    // Redis connects in the background after start-up: /health is 200 once it has.
    let last = "";
    await pollUntil(
      async () => {
        const health = await fetch(`${server.url}/health`);
        last = await health.text();
        return health.status === 200;
      },
      { timeoutMs: 10_000, description: "/health 200", detail: () => `: ${last}` },
    );
    const school = await createSchool(server.url, `modules-${federation}`);
    expectStatus(await school.instructor.post("/courses", { title: "Loaded", course_type: "cohort" }), 201);
    expectStatus(await school.student.get("/courses"), 200);
  } finally {
    await server.stop();
  }
  return (await readFile(file, "utf8")).split("\n").filter(Boolean);
}

const fedify = (urls: string[]) => urls.filter((url) => url.includes("/node_modules/@fedify/"));

test("with federation off no module of Fedify is loaded", { timeout: 120_000 }, async () => {
  const urls = await modulesResolved("false");
  // The record is complete: it holds the service's own modules and those the request path used.
  assert.ok(urls.some((url) => url.endsWith("/src/main.ts")));
  assert.ok(urls.some((url) => url.endsWith("/src/courses/routes.ts")));
  assert.ok(urls.some((url) => url.includes("/node_modules/hono/")));
  assert.deepEqual(fedify(urls), []);
  assert.deepEqual(
    urls.filter((url) => url.endsWith("/src/federation/feature.ts")),
    [],
    "the federation feature is not loaded",
  );
});

test("with federation on Fedify is loaded (the record sees it)", { timeout: 120_000 }, async () => {
  const urls = await modulesResolved("true");
  assert.ok(fedify(urls).some((url) => url.includes("/node_modules/@fedify/fedify/")));
  assert.ok(fedify(urls).some((url) => url.includes("/node_modules/@fedify/vocab/")));
});

/**
 * The build that `npm start` and the image run (`npm run build`: src/ compiled to dist/, Dockerfile's
 * build stage): it builds, and the server it produces, started with package.json's start command on
 * `npm start`'s defaults (embedded database in its worker thread, in-process cache), answers /livez,
 * /health and a signed-in API route, having loaded the compiled JavaScript only (no module of src/, no
 * `.ts` file: Node's type stripper is never needed). A broken build fails here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { createSchool, expectStatus } from "../support/api.ts";
import { spawnServer, startCommand } from "../support/spawn.ts";

const root = join(import.meta.dirname, "..", "..");
const recorder = "./test/support/record-modules.ts";
const dir = await mkdtemp(join(tmpdir(), "fediflow-build-"));
after(() => rm(dir, { recursive: true, force: true }));

test("npm run build produces a server that runs without the TypeScript sources", {
  timeout: 180_000,
}, async () => {
  const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);

  const file = join(dir, "modules.txt");
  const server = await spawnServer({
    runtime: "node",
    command: startCommand(),
    nodeArgs: ["--import", recorder],
    database: { env: { DATA_DIR: join(dir, "data") }, drop: async () => {} },
    env: { RECORD_MODULES_FILE: file, REDIS_URL: "" },
  });
  try {
    assert.equal((await fetch(`${server.url}/livez`)).status, 200);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200, await health.text());
    const school = await createSchool(server.url, "built");
    expectStatus(await school.instructor.post("/courses", { title: "Compiled", course_type: "cohort" }), 201);
    const courses = await school.student.get<{ items: { title: string }[] }>("/courses");
    expectStatus(courses, 200);
    assert.deepEqual(
      courses.body.items.map((c) => c.title),
      ["Compiled"],
    );
  } finally {
    assert.equal(await server.stop(), 0, "clean shutdown");
  }

  const urls = (await readFile(file, "utf8")).split("\n").filter(Boolean);
  const own = (path: string) => pathToFileURL(join(root, path)).href;
  assert.ok(urls.includes(own("dist/main.js")), "the server ran dist/main.js");
  assert.ok(urls.includes(own("dist/platform/db/migrate.js")));
  assert.ok(urls.includes(own("dist/platform/db/embedded-server.js")), "the database thread ran the build");
  assert.deepEqual(
    urls.filter(
      (url) => url.startsWith(own("src/")) || (url.endsWith(".ts") && !url.endsWith(recorder.slice(1))),
    ),
    [],
    "no TypeScript module was loaded",
  );
});

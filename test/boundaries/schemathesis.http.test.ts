/**
 * schemathesis, the standard OpenAPI fuzzer (PyPI, pinned in scripts/install-schemathesis.sh), against the
 * real service and its served document: every check (`--checks all`), every phase including the stateful
 * one, with a tenant, a signed-in admin session and, for the platform routes, the operator token. There is
 * no baseline of accepted failures: the run passes only with 0 failures.
 *
 * Left out, because it cannot run safely: `DELETE /sessions/current` (signing out would revoke the session
 * every later request of the run uses, turning the rest of the run into 401s).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { School } from "../support/api.ts";
import type { SpawnedServer } from "../support/spawn.ts";
import { ADMIN_TOKEN } from "../support/spawn.ts";
import { startBoundaryServer } from "./support.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
/** Test cases per operation and phase: enough to find the kinds of fault, bounded so CI stays in budget. */
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 40);
const SEED = Number(process.env.SCHEMATHESIS_SEED ?? 20261130);

let server: SpawnedServer;
let school: School;
let workDir: string;

before(async () => {
  ({ server, school } = await startBoundaryServer("schemathesis"));
  workDir = await mkdtemp(join(tmpdir(), "fediflow-schemathesis-"));
});
after(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Counts from schemathesis' closing summary, e.g. "Test cases: 1234 generated, 1200 passed, 34 failed". */
function summary(output: string) {
  const number = (pattern: RegExp) => Number(output.match(pattern)?.[1] ?? Number.NaN);
  return {
    operations: output.match(/API Operations:\s+(.*)/)?.[1]?.trim(),
    testCases: output.match(/Test cases:\s+(.*)/)?.[1]?.trim(),
    failures: number(/(\d+) failures?\b/i),
    line: output.trim().split("\n").at(-1)?.replace(/=+/g, "").trim(),
  };
}

test("schemathesis: every check, every phase, 0 failures", { timeout: 30 * 60_000 }, async (t) => {
  const { stdout: installed } = await run("bash", [join(root, "scripts", "install-schemathesis.sh")]);
  const st = installed.trim();
  const session = school.admin.token as string;
  // Per-operation headers: the operator routes take ADMIN_TOKEN, everything else the tenant session.
  const config = join(workDir, "schemathesis.toml");
  await writeFile(
    config,
    [
      `headers = { Authorization = "Bearer ${session}", X-Tenant-Id = "${school.slug}" }`,
      "",
      "[[operations]]",
      'include-path-regex = "^/(tenants|ops/)"',
      `headers = { Authorization = "Bearer ${ADMIN_TOKEN}" }`,
      "",
      // No operation creates a local actor's remote followers; ask about one that exists (the instructor).
      "[[operations]]",
      'include-path = "/federation/actors/{id}/followers"',
      `parameters = { "path.id" = "${school.ids.instructor}" }`,
      "",
    ].join("\n"),
  );
  const args = [
    "--config-file",
    config,
    "run",
    `${server.url}/api/v1/openapi.json`,
    "--checks",
    "all",
    "--phases",
    "examples,coverage,fuzzing,stateful",
    "--exclude-path",
    "/sessions/current",
    "--max-examples",
    String(MAX_EXAMPLES),
    "--seed",
    String(SEED),
    "--workers",
    "1",
    "--request-timeout",
    "20",
    "--no-color",
    "--report",
    "junit",
    "--report-junit-path",
    join(workDir, "junit.xml"),
  ];
  const result = await run(st, args, { cwd: workDir, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ ...r, code: 0 }),
    (error: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
      code: error.code ?? -1,
    }),
  );
  const output = `${result.stdout}\n${result.stderr}`;
  // Named by process: several checkouts may run the suite on one machine.
  const log = join(tmpdir(), `fediflow-schemathesis-${process.pid}.log`);
  await writeFile(log, output).catch(() => {});
  const counts = summary(output);
  t.diagnostic(
    `${counts.line}; operations: ${counts.operations}; test cases: ${counts.testCases}; log: ${log}`,
  );
  const report = await readFile(join(workDir, "junit.xml"), "utf8").catch(() => "");
  assert.ok(report.includes("<testsuite"), `schemathesis ran and wrote its report:\n${output.slice(-4000)}`);
  assert.equal(
    result.code,
    0,
    `schemathesis (seed ${SEED}): ${counts.line}\noperations: ${counts.operations}\ntest cases: ${counts.testCases}\n${output.slice(-20_000)}`,
  );
  assert.match(counts.testCases ?? "", /\bgenerated\b/, "the summary names the generated test cases");
  assert.doesNotMatch(counts.testCases ?? "", /\bfailed\b/, "no test case failed");
});

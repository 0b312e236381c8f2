import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigError } from "../../config.ts";
import { resolveAdminAccess } from "./admin-token.ts";

let root: string;
let n = 0;
/** A fresh DATA_DIR (not created yet, as on a first start). */
const dataDir = () => join(root, `data-${n++}`);
const development = (dir: string) => ({ adminToken: undefined, environment: "development", dataDir: dir });

before(async () => {
  root = await mkdtemp(join(tmpdir(), "fediflow-admin-token-"));
});
after(() => rm(root, { recursive: true, force: true }));

test("ADMIN_TOKEN wins and nothing is written", async () => {
  const dir = dataDir();
  const access = await resolveAdminAccess({ ...development(dir), adminToken: "set-by-the-operator-1" });
  assert.deepEqual(access, { source: "environment", token: "set-by-the-operator-1" });
  await assert.rejects(stat(dir), { code: "ENOENT" });
});

test("in production without ADMIN_TOKEN admin access is off and nothing is written", async () => {
  const dir = dataDir();
  const access = await resolveAdminAccess({ ...development(dir), environment: "production" });
  assert.deepEqual(access, { source: "disabled", token: undefined });
  await assert.rejects(stat(dir), { code: "ENOENT" });
});

test("outside production a token is generated once into DATA_DIR/admin-token (0600) and read on later starts", async () => {
  const dir = dataDir();
  const first = await resolveAdminAccess(development(dir));
  assert.equal(first.source, "file");
  assert.ok(first.source === "file" && first.created);
  assert.equal(first.path, join(dir, "admin-token"));
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
  assert.equal((await stat(first.path)).mode & 0o777, 0o600);
  assert.equal((await readFile(first.path, "utf8")).trim(), first.token);

  const again = await resolveAdminAccess(development(dir));
  assert.deepEqual(again, { ...first, created: false });
  assert.deepEqual(await readdir(dir), ["admin-token"], "no draft file is left behind");
});

test("instances starting at once on one DATA_DIR agree on one token", async () => {
  const dir = dataDir();
  const all = await Promise.all(Array.from({ length: 8 }, () => resolveAdminAccess(development(dir))));
  assert.equal(new Set(all.map((a) => a.token)).size, 1);
  assert.equal(all.filter((a) => a.source === "file" && a.created).length, 1);
});

test("a token file others can read, or one without a token, stops start-up naming the file", async () => {
  const dir = dataDir();
  const { path } = (await resolveAdminAccess(development(dir))) as { path: string };
  await chmod(path, 0o644);
  await assert.rejects(resolveAdminAccess(development(dir)), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(
      error.message,
      /^Invalid configuration: ADMIN_TOKEN is unset and .*admin-token is readable by other users/,
    );
    return true;
  });
  await writeFile(path, "short\n", { mode: 0o600 });
  await chmod(path, 0o600);
  await assert.rejects(resolveAdminAccess(development(dir)), /admin-token holds no token/);
});

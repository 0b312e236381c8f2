/**
 * The API reference in a real browser: Debian's Chromium, driven by playwright-core, loads
 * /api/v1/docs from a server on the run's runtime, finds every operation of the served document listed,
 * signs in from the page (Authorize the tenant, Try it out on POST /sessions), authorizes with that
 * session token, runs "Try it out" → Execute on GET /users/me and reads the response in the page. The page's Content-Security-Policy is the served one: any script or
 * style it blocked would show as a violation. A screenshot is saved for people to look at.
 *
 * Chromium is installed by the test set-up (scripts/install-tools.sh: `apt-get install chromium`).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createSchool, type School } from "../support/api.ts";
import { type SpawnedServer, spawnServer, testRuntime } from "../support/spawn.ts";

/** Upper bound per test: a page that never renders fails the test instead of hanging the run. */
const TEST_TIMEOUT_MS = 120_000;
const RUNTIME = testRuntime() ?? "node";
const PASSWORD = "correct horse battery"; // createSchool's
/** Where the screenshot goes (outside the repository); the test prints the path. */
const SCREENSHOT = join(tmpdir(), "fediflow-browser", `api-reference-${RUNTIME}.png`);
/** The flags CI runs Chromium with: no sandbox (root in a container), no GPU, no calls home. */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

let server: SpawnedServer;
let school: School;
let profile: string;
let browser: BrowserContext;
let page: Page;
/** Console errors, page errors and CSP violations seen while the page ran. */
const problems: string[] = [];

function chromiumPath(): string {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("chromium is not installed: run scripts/install-tools.sh (apt-get install chromium)");
  }
}

before(async () => {
  server = await spawnServer({ env: { RATE_LIMIT_MAX: "1000000" } });
  school = await createSchool(server.url, "browser-school");
  profile = await mkdtemp(join(tmpdir(), "fediflow-chromium-"));
  // launchPersistentContext takes the fresh profile directory (Playwright's form of --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: ["--headless", ...CHROMIUM_FLAGS],
    viewport: { width: 1280, height: 1000 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Runs in the page before its scripts: every CSP violation becomes a console error (collected above).
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (event) => {
      console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
    });`,
  });
});

after(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await server?.stop();
});

test(`${RUNTIME}: the page lists every operation of the served document`, {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const response = await page.goto(`${server.url}/api/v1/docs`);
  assert.equal(response?.status(), 200);
  await page.locator(".opblock").first().waitFor({ timeout: 60_000 });
  const document = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
    info: { title: string };
    paths: Record<string, Record<string, unknown>>;
  };
  const documented = Object.entries(document.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
  const listed = (
    await page
      .locator(".opblock")
      .evaluateAll((blocks) =>
        blocks.map(
          (block) =>
            `${block.querySelector(".opblock-summary-method")?.textContent} ${block.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`,
        ),
      )
  ).sort();
  assert.ok(documented.length >= 30, `${documented.length} operations`);
  assert.deepEqual(listed, documented);
  const title = await page.locator(".info .title").first().textContent();
  assert.ok(title?.startsWith(document.info.title), `the page shows the document's title: ${title}`);
});

/** Enters `value` for one security scheme in the Authorize dialog ("bearer (http, Bearer)", "tenant (apiKey)"). */
async function authorize(scheme: "bearer" | "tenant", value: string): Promise<void> {
  await page.locator(".auth-wrapper .authorize").click();
  const dialog = page.locator(".modal-ux");
  await dialog.waitFor();
  assert.equal(await dialog.locator(".auth-container").count(), 2, "the document's two security schemes");
  const form = dialog
    .locator(".auth-container")
    .filter({ has: page.locator("h4", { hasText: `${scheme} (` }) });
  await form.locator("input").fill(value);
  await form.locator("button.authorize").click();
  await form.locator("button", { hasText: "Logout" }).waitFor();
  await dialog.locator("button.close-modal").click();
}

/** Opens an operation, Try it out (with a JSON body if given), Execute; the status and body the page shows. */
async function tryItOut(method: string, path: string, body?: unknown) {
  const operation = page.locator(`.opblock-${method}`, {
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
  await operation.locator(".opblock-summary").click();
  await operation.locator(".try-out__btn").click();
  if (body !== undefined) await operation.locator("textarea.body-param__text").fill(JSON.stringify(body));
  await operation.locator(".execute").click();
  const response = operation.locator(".live-responses-table .response").first();
  await response.waitFor({ timeout: 30_000 });
  return {
    operation,
    status: (await response.locator(".response-col_status").textContent())?.trim(),
    body: JSON.parse(
      (await response.locator(".response-col_description pre").first().textContent()) ?? "null",
    ),
    curl: (await operation.locator(".curl-command").textContent()) ?? "",
  };
}

test(`${RUNTIME}: signed in from the page, Try it out runs GET /users/me with the session and tenant`, {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // As the README says: the tenant first, then POST /sessions from the page, then its token as bearer.
  await authorize("tenant", school.slug);
  const login = await tryItOut("post", "/sessions", { username: "principal", password: PASSWORD });
  assert.equal(login.status, "201", JSON.stringify(login.body));
  assert.match(login.curl, /X-Tenant-Id: browser-school/, "signing in sent the tenant");
  await authorize("bearer", login.body.token);

  const me = await tryItOut("get", "/users/me");
  assert.equal(me.status, "200", JSON.stringify(me.body));
  assert.equal(me.body.username, "principal", "the signed-in admin, as the API answered");
  assert.match(me.curl, /X-Tenant-Id: browser-school/, "the tenant header was sent");
  assert.ok(me.curl.includes(`Authorization: Bearer ${login.body.token}`), "the session token was sent");
  assert.ok(me.curl.includes(`${server.url}/api/v1/users/me`), "under the document's server URL");

  await mkdir(join(tmpdir(), "fediflow-browser"), { recursive: true });
  await me.operation.locator(".live-responses-table").scrollIntoViewIfNeeded();
  await page.screenshot({ path: SCREENSHOT, fullPage: false });
  process.stdout.write(`# screenshot of the API reference (${RUNTIME}): ${SCREENSHOT}\n`);
});

test(`${RUNTIME}: nothing on the page was blocked by its Content-Security-Policy or failed`, () => {
  assert.deepEqual(problems, []);
});

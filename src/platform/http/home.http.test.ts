/**
 * Where a newcomer starts: GET / names the service and links the API reference, the OpenAPI document,
 * health and metrics (JSON, or HTML for a browser); the API reference page and its files are served from
 * this origin under a Content-Security-Policy without inline scripts. The browser test
 * (test/browser/api-reference.http.test.ts) uses the page for real.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTarget, type Target } from "../../../test/support/target.ts";

let target: Target;
/** What the home page links, by name. */
let links: Record<string, string>;

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

before(async () => {
  target = await startTarget();
});
after(() => target.close());

test("GET / as JSON (curl's Accept: */*, or none): name, version and links that answer", async () => {
  for (const headers of [{}, { accept: "*/*" }, { accept: "application/json" }]) {
    const response = await target.fetch("/", { headers });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.match(response.headers.get("vary") ?? "", /accept/i);
    const body = (await response.json()) as { name: string; version: string; links: Record<string, string> };
    assert.equal(body.name, "fediflow-api");
    assert.equal(body.version, "0.1.0");
    links = body.links;
  }
  assert.deepEqual(links, {
    api_reference: "/api/v1/docs",
    openapi: "/api/v1/openapi.json",
    health: "/health",
    metrics: "/metrics",
  });
  const types: Record<string, RegExp> = {
    api_reference: /^text\/html/,
    openapi: /^application\/json/,
    health: /^application\/json/,
    metrics: /^text\/plain/,
  };
  for (const [name, href] of Object.entries(links)) {
    const response = await target.fetch(href);
    await response.arrayBuffer();
    assert.equal(response.status, 200, `${name}: GET ${href}`);
    assert.match(response.headers.get("content-type") ?? "", types[name] as RegExp, `${name}: ${href}`);
  }
});

test("GET / for a browser is an HTML page with the same links and nothing that loads", async () => {
  const response = await target.fetch("/", { headers: { accept: BROWSER_ACCEPT } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const page = await response.text();
  assert.match(page, /<title>FediFlow API<\/title>/);
  assert.match(page, /0\.1\.0/);
  for (const href of Object.values(links)) assert.ok(page.includes(`href="${href}"`), href);
  assert.doesNotMatch(page, /<script|<link|<img|style=/);
});

test("the API reference page loads only files of this origin, under a CSP without inline scripts", async () => {
  const response = await target.fetch("/api/v1/docs", { headers: { accept: BROWSER_ACCEPT } });
  assert.equal(response.status, 200);
  const csp = response.headers.get("content-security-policy") ?? "";
  assert.match(csp, /script-src 'self'(;|$)/, csp);
  assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/, csp);
  const page = await response.text();
  const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 2);
  for (const [, attributes, content] of scripts) {
    assert.match(attributes as string, /\ssrc="[^"]+"/, "every script is a file");
    assert.equal(content, "", "no inline script");
  }
  // Every file the page names, resolved against the page's URL as a browser does.
  const pageUrl = new URL("http://service.example/api/v1/docs");
  const references = [...page.matchAll(/(?:src|href|data-openapi)="([^"]+)"/g)].map((m) => m[1] as string);
  assert.equal(references.length, 5, references.join(", "));
  for (const reference of references) {
    const url = new URL(reference, pageUrl);
    assert.equal(url.origin, pageUrl.origin, `${reference} is on this origin`);
    const file = await target.fetch(url.pathname);
    await file.arrayBuffer();
    assert.equal(file.status, 200, url.pathname);
    const type = file.headers.get("content-type") ?? "";
    const expected = /\.js$/.test(url.pathname)
      ? /^text\/javascript/
      : /\.css$/.test(url.pathname)
        ? /^text\/css/
        : /\.png$/.test(url.pathname)
          ? /^image\/png/
          : /^application\/json/;
    assert.match(type, expected, url.pathname);
  }
});

test("its files revalidate with ETags (304), and other paths under /api/v1/docs/ are the app's 404", async () => {
  for (const path of ["/api/v1/docs/swagger-ui-bundle.js", "/api/v1/docs/init.js"]) {
    const first = await target.fetch(path);
    await first.arrayBuffer();
    const etag = first.headers.get("etag");
    assert.ok(etag, `${path} has an ETag`);
    const again = await target.fetch(path, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304, path);
    assert.equal(await again.text(), "");
  }
  const missing = await target.fetch("/api/v1/docs/swagger-ui.js.map");
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
});

test("the document's security schemes: bearer is what operations require; tenant (X-Tenant-Id) is for the reference", async () => {
  const document = (await (await target.fetch("/api/v1/openapi.json")).json()) as {
    components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> };
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  const schemes = document.components.securitySchemes;
  const tenant = schemes.tenant;
  assert.deepEqual(tenant && { type: tenant.type, in: tenant.in, name: tenant.name }, {
    type: "apiKey",
    in: "header",
    name: "X-Tenant-Id",
  });
  assert.equal(schemes.bearer?.type, "http");
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const requirement of operation.security ?? []) {
        for (const name of Object.keys(requirement))
          assert.ok(schemes[name], `${method.toUpperCase()} ${path} names the undefined scheme ${name}`);
        // A missing tenant is a 400 (tenant_required), not a 401: it is no credential.
        assert.ok(
          !("tenant" in requirement),
          `${method.toUpperCase()} ${path} requires no tenant credential`,
        );
      }
    }
  }
  assert.deepEqual(document.paths["/courses"]?.get?.security, [{ bearer: [] }]);
});

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { etag } from "hono/etag";
import { secureHeaders } from "hono/secure-headers";
import type { PlatformEnv } from "./context.ts";

/**
 * The interactive API reference: Swagger UI (swagger-ui-dist, installed from npm, served from here:
 * no CDN, so it works offline) rendering the served OpenAPI document, with Authorize for the
 * document's security schemes (bearer token, X-Tenant-Id) and "Try it out".
 *
 * The page runs under a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval': the start-up
 * script is a file (`init.js`), not an inline `<script>`, and nothing comes from another origin.
 */
// Resolved like an import from this file, on Node, Bun and Deno alike (node_modules).
const requireHere = createRequire(import.meta.url);
const swaggerUiDist = dirname(requireHere.resolve("swagger-ui-dist/package.json"));
const { version: swaggerUiVersion } = requireHere("swagger-ui-dist/package.json") as { version: string };

/** The files of swagger-ui-dist the page loads, and their media types. */
const ASSETS: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/**
 * Starts Swagger UI on the document named by the page (`data-openapi`). Served as a file so that
 * `script-src 'self'` suffices. persistAuthorization keeps what was entered in Authorize across reloads
 * (in the browser's localStorage only).
 */
const INIT_SCRIPT = `"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The tenant entered under Authorize goes with every request as X-Tenant-Id (the document's tenant
    // scheme; no operation requires it as a credential). The shown curl includes it (showMutatedRequest).
    requestInterceptor: function (request) {
      var tenant = window.ui && window.ui.authSelectors.authorized().getIn(["tenant", "value"]);
      if (tenant && !request.headers["X-Tenant-Id"]) request.headers["X-Tenant-Id"] = tenant;
      return request;
    },
  });
});
`;

/** Relative URLs: the page is `<prefix>/docs`, so they resolve under the API prefix whatever the host. */
const page = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi="openapi.json"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`;

/**
 * The policy of the reference page: scripts, styles and requests to this origin only; images also as
 * data: URLs (Swagger UI's icons, in its stylesheet). The browser test fails on any violation.
 */
const pageSecurity = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  // HTTPS policy belongs to whoever terminates TLS, not to one page of the service.
  strictTransportSecurity: false,
});

const cache = new Map<string, Uint8Array>();
/** A file of swagger-ui-dist, read on first use and kept (about 1.5 MB for all three). */
async function asset(name: string): Promise<Uint8Array> {
  let body = cache.get(name);
  if (!body) {
    body = new Uint8Array(await readFile(join(swaggerUiDist, name)));
    cache.set(name, body);
  }
  return body;
}

/**
 * `GET {prefix}/docs` (the page) and its files under `{prefix}/docs/` (one route each, so any other
 * path there is the app's 404). swagger-ui-dist's files are revalidated with an ETag naming its
 * version, so an upgrade reaches browsers at once; init.js gets a digest ETag from hono's etag().
 */
export function apiReferenceRoutes(prefix: string, title: string) {
  const app = new Hono<PlatformEnv>();
  app.get(`${prefix}/docs`, pageSecurity, (c) => {
    c.header("Cache-Control", "no-cache");
    return c.html(page(title));
  });
  app.get(`${prefix}/docs/init.js`, etag(), (c) => {
    c.header("Cache-Control", "no-cache");
    return c.body(INIT_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
  for (const [file, type] of Object.entries(ASSETS)) {
    app.get(`${prefix}/docs/${file}`, etag(), async (c) => {
      c.header("Cache-Control", "no-cache");
      c.header("ETag", `"swagger-ui-dist-${swaggerUiVersion}"`);
      return c.body((await asset(file)) as Uint8Array<ArrayBuffer>, 200, { "Content-Type": type });
    });
  }
  return app;
}

import { Hono } from "hono";
import { accepts } from "hono/accepts";
import { html } from "hono/html";
import { secureHeaders } from "hono/secure-headers";
import type { PlatformEnv } from "./context.ts";

export interface HomeLinks {
  api_reference: string;
  openapi: string;
  health: string;
  /** Absent when METRICS_ENABLED=false. */
  metrics?: string;
}

/** A page without scripts, styles or images of its own: nothing may load. */
const pageSecurity = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  // HTTPS policy belongs to whoever terminates TLS, not to one page of the service.
  strictTransportSecurity: false,
});

/**
 * `GET /`: what this service is and where to go next, as JSON (`{ name, title, version, links }`,
 * paths relative to this origin) or, for a browser (Accept: text/html), as a page with the same links.
 * Negotiated by RFC 9110 §12.5.1 Accept; JSON when the client states no preference (curl's `*\/*`).
 */
export function homeRoutes(service: { name: string; title: string; version: string; links: HomeLinks }) {
  const app = new Hono<PlatformEnv>();
  app.get("/", pageSecurity, (c) => {
    c.header("Vary", "Accept");
    const type = accepts(c, {
      header: "Accept",
      supports: ["application/json", "text/html"],
      default: "application/json",
    });
    if (type === "application/json") return c.json(service);
    const labels: Record<keyof HomeLinks, string> = {
      api_reference: "API reference (try the API in the browser)",
      openapi: "OpenAPI document",
      health: "Health",
      metrics: "Prometheus metrics",
    };
    const links = Object.entries(service.links) as [keyof HomeLinks, string][];
    return c.html(html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${service.title}</title></head>
<body>
<h1>${service.title} <small>${service.version}</small></h1>
<ul>
${links.map(([key, href]) => html`<li><a href="${href}">${labels[key]}</a> <code>${href}</code></li>\n`)}</ul>
</body>
</html>
`);
  });
  return app;
}

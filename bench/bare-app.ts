/**
 * The baseline: a bare Hono app serving the same authenticated read route shape (bearer token check,
 * one tenant-scoped query through postgres.js, 20 rows as JSON) with no telemetry, validation, rate
 * limit, cache or logging. Runs on Node (@hono/node-server) and on Bun (Bun.serve), the servers
 * FediFlow uses on each. Prints `{"port": N}` as its first stdout line; stops on SIGTERM.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";

const env = process.env as Record<string, string>;
const sql = postgres(env.BENCH_DATABASE_URL as string, { max: 10 });
const sessions = new Map([[env.BENCH_TOKEN, env.BENCH_TENANT_ID]]);
const app = new Hono();
app.get("/api/v1/courses", async (c) => {
  const tenantId = sessions.get(c.req.header("authorization")?.slice(7));
  if (!tenantId) return c.json({ error: "unauthorized" }, 401);
  const rows = await sql`
    select id, tenant_id, title, description, course_type, instructor_id, created_at, updated_at
    from courses where tenant_id = ${tenantId} order by id limit ${21}`;
  return c.json({ items: rows.slice(0, 20), next_cursor: null });
});

const printPort = (port: number) => process.stdout.write(`${JSON.stringify({ port })}\n`);
const { Bun } = globalThis as {
  Bun?: { serve(options: object): { port: number; stop(): Promise<void> } };
};
if (Bun) {
  const server = Bun.serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  printPort(server.port);
  process.on("SIGTERM", () => void server.stop().then(() => process.exit(0)));
} else {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () =>
    printPort((server.address() as AddressInfo).port),
  );
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

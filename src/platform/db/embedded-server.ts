/**
 * The embedded database's thread (worker_threads entry of embedded.ts): PGlite, PostgreSQL compiled to
 * WebAssembly, runs every query on the thread that owns it. In the service's own thread it competed
 * with request handling for one core; here it has its own. Serves the PostgreSQL wire protocol on a
 * loopback port (pglite-socket) and reports `{ url }` or `{ error }` to its parent; `"stop"` closes it.
 * With `initOnly` it creates the database cluster (initdb) and reports `{ initialised: true }`.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const { dataDir, maxConnections, initOnly } = workerData as {
  dataDir: string;
  maxConnections: number;
  initOnly: boolean;
};
const port = parentPort as NonNullable<typeof parentPort>;

try {
  const directory = join(dataDir, "pglite");
  await mkdir(directory, { recursive: true });
  // PostgreSQL's 128 MB of shared buffers are WebAssembly memory, resident for good; the embedded
  // database is one small database for one service (16 MB: 80 MB less resident, measured).
  const db = await PGlite.create({ dataDir: directory, postgresqlconf: ["shared_buffers = 16MB"] });
  if (initOnly) {
    await db.close();
    // The parent terminates this thread, which frees initdb's memory.
    port.postMessage({ initialised: true });
  } else {
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections });
    await server.start();
    port.on("message", async (message) => {
      if (message !== "stop") return;
      await server.stop();
      await db.close();
      port.postMessage("stopped");
    });
    port.postMessage({ url: `postgres://postgres:postgres@${server.getServerConn()}/postgres` });
  }
} catch (error) {
  port.postMessage({ error: error instanceof Error ? error.message : String(error) });
}

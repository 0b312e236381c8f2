import { once } from "node:events";
import { access } from "node:fs/promises";
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves an embedded PGlite database over the PostgreSQL wire protocol on a loopback port, so the
 * same postgres.js code runs against it as against a real server. Data persists under `dataDir`.
 * The database runs in a thread of its own (embedded-server.ts); start-up errors are rethrown here.
 * A new data directory is initialised (initdb) by a thread that then ends: initdb's WebAssembly
 * memory (about 200 MB) is not kept for the life of the service.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
): Promise<EmbeddedPostgres> {
  const exists = await access(join(dataDir, "pglite", "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const { worker, reply } = await startThread({ dataDir, maxConnections, initOnly: true });
    await worker.terminate();
    if (!reply.initialised)
      throw new Error(`The embedded database could not be created: ${reply.error ?? "no reply"}`);
  }
  const { worker, reply } = await startThread({ dataDir, maxConnections, initOnly: false });
  const url = reply.url;
  if (!url) {
    await worker.terminate();
    throw new Error(`The embedded database did not start: ${reply.error ?? "no address reported"}`);
  }
  return {
    url,
    async stop() {
      worker.postMessage("stop");
      await Promise.race([once(worker, "message"), once(worker, "exit")]);
      await worker.terminate();
    },
  };
}

/**
 * The worker's file has this module's extension: `.ts` from src/, `.js` from the build in dist/ (the
 * compiler rewrites import specifiers, not URLs given to a Worker).
 */
const serverFile = new URL(`./embedded-server${extname(import.meta.url)}`, import.meta.url);

/** Starts embedded-server.ts in a worker thread and waits for its first message (or its failure). */
async function startThread(data: { dataDir: string; maxConnections: number; initOnly: boolean }) {
  const worker = new Worker(serverFile, { workerData: data });
  const [reply] = (await Promise.race([
    once(worker, "message"),
    once(worker, "error").then(([error]) => [{ error: (error as Error).message }]),
    once(worker, "exit").then(([code]) => [{ error: `exited with code ${code}` }]),
  ])) as [{ url?: string; initialised?: boolean; error?: string }];
  return { worker, reply };
}

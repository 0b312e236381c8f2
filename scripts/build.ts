/**
 * `npm run build` (run by `npm start` first, and by the image's build stage): src/ compiled to plain
 * JavaScript in dist/ by tsc (tsconfig.build.json: types erased, `.ts` specifiers rewritten to `.js`),
 * with the files that are not TypeScript (the SQL migrations) copied beside it. Node then runs
 * JavaScript without loading its type stripper: ~25 MB less resident memory (docs/performance.md,
 * "Phase 2, memory"). Bun and Deno run the sources as they are.
 *
 * The build is written beside dist/ and swapped in with two renames, so a process starting from dist/
 * never reads a half-written tree and files of deleted sources do not linger. Exit code 1 on failure.
 */
import { spawnSync } from "node:child_process";
import { cp, rename, rm } from "node:fs/promises";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
const next = join(root, `dist.${process.pid}.tmp`);
const previous = join(root, `dist.${process.pid}.old`);

try {
  const tsc = spawnSync(
    process.execPath,
    [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", next],
    { cwd: root, stdio: "inherit" },
  );
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (${tsc.status ?? tsc.signal})`);
  await cp(join(root, "src"), next, { recursive: true, filter: (source) => !source.endsWith(".ts") });
  await rename(dist, previous).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  await rename(next, dist);
} catch (error) {
  process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await rm(next, { recursive: true, force: true });
  await rm(previous, { recursive: true, force: true });
}

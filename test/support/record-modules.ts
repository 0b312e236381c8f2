/**
 * A Node preload (`node --import ./test/support/record-modules.ts …`) that appends the URL of every
 * module the process resolves, one a line, to the file named by RECORD_MODULES_FILE: what a test asserts
 * when it must prove that a module was never loaded (ESM has no `require.cache` to inspect).
 * Synchronous hooks (`module.registerHooks`, Node ≥ 22.15) run in the process's own thread, so the
 * record is complete up to the moment the file is read.
 */
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const file = process.env.RECORD_MODULES_FILE;
if (!file) throw new Error("record-modules.ts needs RECORD_MODULES_FILE");
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    appendFileSync(file, `${resolved.url}\n`);
    return resolved;
  },
});

// The stack's Go programs at exactly the versions the repository pins (.env), built from the Go module
// proxy by scripts/go-tool-build.sh into the cache outside the repository, then reused. The tests run
// these binaries, never whatever happens to be on PATH: the release compose ships is the one tested.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");

/** Each program: the build (scripts/go-tool-build.sh NAME) that produces it. */
const BUILDS = {
  prometheus: "prometheus",
  promtool: "prometheus",
  alertmanager: "alertmanager",
  amtool: "alertmanager",
  jaeger: "jaeger",
  sloth: "sloth",
} as const;
export type Tool = keyof typeof BUILDS;

const BUILD_TIMEOUT_MS = 45 * 60_000;
const built = new Map<Tool, string>();

/**
 * Path of `name`, built on first use (cold: minutes; cached: milliseconds). `$PROMTOOL`, `$AMTOOL`,
 * … (the name upper-cased) overrides it, for trying another build. Throws with the build log when the
 * build fails: a missing tool fails the tests, it never skips them.
 */
export function tool(name: Tool): string {
  const override = process.env[name.toUpperCase()];
  if (override) return override;
  const cached = built.get(name);
  if (cached) return cached;
  const stdout = execFileSync("bash", [join(ROOT, "scripts", "go-tool-build.sh"), BUILDS[name]], {
    encoding: "utf8",
    timeout: BUILD_TIMEOUT_MS,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const path = stdout.split("\n").find((line) => line.endsWith(`/${name}`));
  if (!path) throw new Error(`scripts/go-tool-build.sh ${BUILDS[name]} did not print a path for ${name}`);
  built.set(name, path);
  return path;
}

/** `KEY=value` of .env, the one place the stack's versions are pinned. */
export function pinned(key: string): string {
  const line = readFileSync(join(ROOT, ".env"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}=`));
  if (!line) throw new Error(`.env does not pin ${key}`);
  return line.slice(key.length + 1);
}

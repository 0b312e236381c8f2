// Shared helpers for the alerting tests: run the real binaries, load YAML, walk rules and tests.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const PROMETHEUS_DIR = join(ROOT, "prometheus");
export const RULES_DIR = join(PROMETHEUS_DIR, "rules");
export const RULE_TESTS_DIR = join(PROMETHEUS_DIR, "tests");
export const ALERTMANAGER_CONFIG = join(ROOT, "alertmanager", "alertmanager.yml");
export const RUNBOOKS_DIR = join(ROOT, "docs", "runbooks");
export const RUNBOOK_BASE_URL = "https://github.com/fediflow/fediflow-api/blob/main/docs/runbooks/";

export { tool } from "../support/tools.ts";

export type RunResult = { code: number; stdout: string; stderr: string; output: string };

/**
 * Runs a binary and returns its exit code and output. A missing binary throws (the tests must
 * fail, never skip, when promtool or amtool is not installed).
 */
export function run(bin: string, args: string[], options: { cwd?: string } = {}): RunResult {
  const result = spawnSync(bin, args, { cwd: options.cwd ?? ROOT, encoding: "utf8", timeout: 120_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(
        `${bin}: not found (tool() builds it with scripts/go-tool-build.sh; check $PROMTOOL / $AMTOOL)`,
      );
    }
    throw result.error;
  }
  const stdout = result.stdout ?? "";
  const stderr = result.stderr ?? "";
  return { code: result.status ?? -1, stdout, stderr, output: `${stdout}${stderr}` };
}

export function loadYaml<T = unknown>(path: string): T {
  return parse(readFileSync(path, "utf8")) as T;
}

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

export type Rule = {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
export type RuleGroup = { name: string; interval?: string; rules: Rule[] };
export type LoadedRule = Rule & { file: string; group: string };

/** Every rule of prometheus/rules/*.yml with the file and group it came from. */
export function loadRules(): LoadedRule[] {
  return yamlFiles(RULES_DIR).flatMap((file) =>
    loadYaml<{ groups: RuleGroup[] }>(file).groups.flatMap((g) =>
      g.rules.map((r) => ({ ...r, file, group: g.name })),
    ),
  );
}

export type ExpAlert = { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> };
export type AlertRuleTest = { eval_time: string; alertname: string; exp_alerts?: ExpAlert[] | null };
export type RuleTestGroup = {
  name?: string;
  interval?: string;
  input_series?: { series: string; values: string }[];
  alert_rule_test?: AlertRuleTest[];
  promql_expr_test?: { expr: string; eval_time: string; exp_samples?: unknown[] }[];
};
export type RuleTestFile = { rule_files: string[]; evaluation_interval?: string; tests: RuleTestGroup[] };

/** Every promtool unit-test file of prometheus/tests with its path. */
export function loadRuleTests(): { file: string; content: RuleTestFile }[] {
  return yamlFiles(RULE_TESTS_DIR).map((file) => ({ file, content: loadYaml<RuleTestFile>(file) }));
}

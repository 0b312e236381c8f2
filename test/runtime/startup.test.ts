import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { runtimeCommand } from "../support/spawn.ts";

test("start-up stops with one line naming the bad variable", () => {
  const [command, ...args] = runtimeCommand("node");
  const result = spawnSync(command as string, args, {
    cwd: new URL("../..", import.meta.url),
    env: { PATH: process.env.PATH, PORT: "not-a-port", OTEL_SDK_DISABLED: "true" },
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^Invalid configuration: PORT /m);
});

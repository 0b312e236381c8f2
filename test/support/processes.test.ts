/**
 * freePort() is what every test and the benchmark start their programs on. The kernel hands a
 * just-released port out again (52 and 67 repeats in two runs of 1,000 plain bind-and-release calls
 * here), and two programs started side by side on a repeated answer race for one port.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort } from "./processes.ts";

test("freePort never hands out the same port twice in one process", async () => {
  const ports: number[] = [];
  for (let i = 0; i < 1000; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length, "every port handed out once");
  for (const port of ports) assert.ok(port > 0 && port < 65536, `a port number: ${port}`);
});

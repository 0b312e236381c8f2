/**
 * freePort() is what every test and the benchmark start their programs on. The kernel hands a
 * just-released port out again (52 and 67 repeats in two runs of 1,000 plain bind-and-release calls
 * here), and two programs started side by side on a repeated answer race for one port. settleAll() is
 * how programs started side by side are awaited, so that a failed start leaves none running unstopped.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort, settleAll } from "./processes.ts";

test("freePort never hands out the same port twice in one process", async () => {
  const ports: number[] = [];
  for (let i = 0; i < 1000; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length, "every port handed out once");
  for (const port of ports) assert.ok(port > 0 && port < 65536, `a port number: ${port}`);
});

test("settleAll rejects with the first failure only once every start has settled and assigned itself", async () => {
  let slow: string | undefined;
  const started = settleAll([
    Promise.reject(new Error("Elasticsearch: address already in use")),
    new Promise((resolve) => setTimeout(resolve, 50)).then(() => {
      slow = "jaeger";
    }),
    Promise.reject(new Error("a later failure")),
  ]);
  await assert.rejects(started, /address already in use/);
  assert.equal(slow, "jaeger", "the program that did start is assigned, for the after hook to stop");
  await settleAll([Promise.resolve(1), Promise.resolve()]);
});

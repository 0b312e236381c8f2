import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLineWriter } from "./line-writer.ts";

/** A real Writable that records every chunk it is given; `stalled` stops it calling back (a reader that stopped). */
function recorder() {
  const chunks: string[] = [];
  const pending: (() => void)[] = [];
  let stalled = false;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      if (stalled) pending.push(() => done());
      else done();
    },
  });
  return {
    stream,
    chunks,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const done of pending.splice(0)) done();
    },
  };
}

const options = {
  flushIntervalMs: 20,
  batchLines: 100,
  maxPendingBytes: 2048,
  droppedNotice: (count: number) => `dropped ${count}\n`,
};

test("lines are written together, in order, once the interval passed", async () => {
  const out = recorder();
  const writer = createLineWriter(out.stream, options);
  writer.write("a\n");
  writer.write("b\n");
  writer.write("c\n");
  assert.deepEqual(out.chunks, [], "nothing is written synchronously");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(out.chunks, ["a\nb\nc\n"], "one write for the three lines");
});

test("a full batch is written at once; flush writes the rest and waits for the stream", async () => {
  const out = recorder();
  const writer = createLineWriter(out.stream, { ...options, batchLines: 2 });
  writer.write("1\n");
  writer.write("2\n");
  writer.write("3\n");
  assert.deepEqual(out.chunks, ["1\n2\n"]);
  await writer.flush();
  assert.deepEqual(out.chunks, ["1\n2\n", "3\n"]);
  await writer.flush(); // nothing queued: resolves without writing
  assert.equal(out.chunks.length, 2);
});

test("while the reader does not read, lines beyond the pending limit are dropped, then reported", async () => {
  const out = recorder();
  const writer = createLineWriter(out.stream, { ...options, batchLines: 1 });
  out.stall();
  const line = `${"x".repeat(1000)}\n`;
  for (let i = 0; i < 10; i++) writer.write(line);
  // The first write went to the stream; the next ones queue in it until its pending bytes pass the limit.
  assert.ok(writer.dropped > 0, "some lines were dropped");
  assert.ok(out.stream.writableLength <= options.maxPendingBytes + line.length);
  const dropped = writer.dropped;
  out.resume();
  await new Promise((resolve) => setImmediate(resolve));
  writer.write("after\n");
  await writer.flush();
  const written = out.chunks.join("");
  assert.ok(written.endsWith(`dropped ${dropped}\nafter\n`), "the count is reported before the next line");
  assert.equal(written.split(line).length - 1, 10 - dropped, "every line not dropped was written once");
});

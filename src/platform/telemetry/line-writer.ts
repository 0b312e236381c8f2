/** Where log lines go: process.stdout, or any Node-style writable stream (tests). */
export interface LineStream {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  readonly writableLength?: number;
}

export interface LineWriter {
  /** Queues one line (with its newline); never waits for I/O. */
  write(line: string): void;
  /** Lines dropped because the stream was not being read (its pending bytes above the limit). */
  readonly dropped: number;
  /** Writes what is queued and resolves once the stream took it. */
  flush(): Promise<void>;
}

export interface LineWriterOptions {
  /** Longest a line waits before it is written (ms). */
  flushIntervalMs: number;
  /** Queued lines that trigger an immediate write. */
  batchLines: number;
  /**
   * Bytes the stream may hold unwritten (its `writableLength`, a reader that stopped reading) before new
   * lines are dropped instead of queued: memory stays bounded whatever happens downstream.
   */
  maxPendingBytes: number;
  /** The line that reports `count` dropped lines, written before the next line that is not dropped. */
  droppedNotice: (count: number) => string;
}

/**
 * Writes log lines in batches: one `write` of the joined lines every `flushIntervalMs` (or at
 * `batchLines`), instead of one write — a system call on a pipe — per line. On POSIX, stdout on a pipe
 * or socket is asynchronous in Node, so a log call never blocks on I/O; lines are dropped, and counted,
 * only while the reader has stopped reading and `maxPendingBytes` are already waiting; how many is
 * reported (`droppedNotice`) as soon as lines are written again.
 */
export function createLineWriter(stream: LineStream, options: LineWriterOptions): LineWriter {
  let queued: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dropped = 0;
  let reportedDrops = 0;

  function drain(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (queued.length === 0) return Promise.resolve();
    const text = queued.join("");
    queued = [];
    return new Promise((resolve) => {
      stream.write(text, () => resolve());
    });
  }

  return {
    write(line) {
      if ((stream.writableLength ?? 0) > options.maxPendingBytes) {
        dropped++;
        return;
      }
      if (dropped > reportedDrops) {
        queued.push(options.droppedNotice(dropped - reportedDrops));
        reportedDrops = dropped;
      }
      queued.push(line);
      if (queued.length >= options.batchLines) {
        void drain();
      } else if (timer === undefined) {
        timer = setTimeout(drain, options.flushIntervalMs);
        // A pending flush must not keep a finished process alive; shutdown flushes explicitly.
        (timer as { unref?: () => void }).unref?.();
      }
    },
    get dropped() {
      return dropped;
    },
    flush: drain,
  };
}

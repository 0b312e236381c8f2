import postgres from "postgres";

/** What one write request came to: an HTTP status, or how the connection failed. */
export interface Outcome {
  title: string;
  /** Sent as X-Request-Id: the service logs it with every request it handled. */
  requestId?: string;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or `reset` (connection closed/reset with no response), `refused`, `timeout`, `error`. */
  status: number | "reset" | "refused" | "timeout" | "error";
  code?: string;
  retryAfter?: string | null;
  connectionClose?: boolean;
}

/** How long the test's own HTTP client waits for any response (the service's bounds are far below it). */
const CLIENT_TIMEOUT_MS = 30_000;

function failureKind(error: unknown): Outcome["status"] {
  let current = error as { name?: string; code?: string; cause?: unknown; message?: string } | undefined;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current.name === "TimeoutError") return "timeout";
    if (current.code === "ECONNREFUSED") return "refused";
    if (
      current.code === "ECONNRESET" ||
      current.code === "EPIPE" ||
      current.code === "UND_ERR_SOCKET" ||
      /other side closed|socket hang up/i.test(current.message ?? "")
    )
      return "reset";
    current = current.cause as typeof current;
  }
  return "error";
}

/**
 * `clients` concurrent writers, each creating courses with unique titles in a loop against the given
 * service URLs (round robin per request), as a signed-in instructor. Every outcome is kept so that the
 * test can compare acknowledged writes with the rows in the database afterwards.
 */
export class WriteLoad {
  readonly outcomes: Outcome[] = [];
  readonly #urls: () => string[];
  readonly #headers: Record<string, string>;
  readonly #run: string;
  #stopped = false;
  #workers: Promise<void>[] = [];
  #sequence = 0;

  constructor(options: { urls: () => string[]; tenant: string; token: string; run: string }) {
    this.#urls = options.urls;
    this.#run = options.run;
    this.#headers = {
      "content-type": "application/json",
      "x-tenant-id": options.tenant,
      authorization: `Bearer ${options.token}`,
    };
  }

  start(clients: number): void {
    this.#workers = Array.from({ length: clients }, (_, i) => this.#client(i));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#workers);
  }

  async #client(index: number): Promise<void> {
    while (!this.#stopped) {
      const urls = this.#urls();
      const url = urls[this.#sequence % urls.length];
      const title = `${this.#run}-${index}-${this.#sequence++}`;
      const requestId = crypto.randomUUID();
      const outcome: Outcome = {
        title,
        requestId,
        startedAt: performance.now(),
        endedAt: 0,
        status: "error",
      };
      try {
        const response = await fetch(`${url}/api/v1/courses`, {
          method: "POST",
          headers: { ...this.#headers, "x-request-id": requestId },
          body: JSON.stringify({ title, course_type: "cohort" }),
          signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
        });
        const text = await response.text();
        outcome.status = response.status;
        outcome.retryAfter = response.headers.get("retry-after");
        outcome.connectionClose = response.headers.get("connection")?.toLowerCase() === "close";
        if (response.status >= 400) {
          try {
            outcome.code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            outcome.code = "unparsable";
          }
        }
      } catch (error) {
        outcome.status = failureKind(error);
        outcome.code = String((error as { cause?: { code?: string } }).cause?.code ?? "");
      }
      outcome.endedAt = performance.now();
      this.outcomes.push(outcome);
      // A refused connection (nothing listening) is retried after a breath, like a real client would.
      if (outcome.status === "refused") await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Outcomes of requests that overlapped [from, to] (performance.now() times). */
  between(from: number, to: number): Outcome[] {
    return this.outcomes.filter((o) => o.endedAt >= from && o.startedAt <= to);
  }
}

export interface WriteAudit {
  attempted: number;
  acknowledged: number;
  /** Acknowledged (201) but absent from the database. Must be 0. */
  lost: number;
  /** In the database although the client got no 201 (an error or no response): the client cannot know. */
  committedWithoutAck: number;
  /** Of those, the ones that ended without any HTTP response (reset): accepted and unanswered. */
  resetButCommitted: number;
}

/** Compares every acknowledged write with the rows in the database. */
export async function auditWrites(
  databaseUrl: string,
  run: string,
  outcomes: Outcome[],
): Promise<WriteAudit> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ title: string }[]>`select title from courses where title like ${`${run}-%`}`;
    const present = new Set(rows.map((r) => r.title));
    const acknowledged = outcomes.filter((o) => o.status === 201);
    const unacknowledged = outcomes.filter((o) => o.status !== 201);
    return {
      attempted: outcomes.length,
      acknowledged: acknowledged.length,
      lost: acknowledged.filter((o) => !present.has(o.title)).length,
      committedWithoutAck: unacknowledged.filter((o) => present.has(o.title)).length,
      resetButCommitted: unacknowledged.filter((o) => o.status === "reset" && present.has(o.title)).length,
    };
  } finally {
    await sql.end();
  }
}

/** Counts of statuses (and error codes) among outcomes, e.g. { "201": 310, "503 database_unavailable": 12 }. */
export function statusCounts(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = typeof o.status === "number" && o.status >= 400 ? `${o.status} ${o.code}` : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Polls /health every 100 ms and keeps the status seen at each moment. */
export class HealthWatch {
  readonly samples: { at: number; status: number | "error"; body?: unknown; tookMs: number }[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        const at = performance.now();
        try {
          const response = await fetch(`${this.#url}/health`, { signal: AbortSignal.timeout(15_000) });
          this.samples.push({
            at,
            status: response.status,
            body: await response.json(),
            tookMs: performance.now() - at,
          });
        } catch {
          this.samples.push({ at, status: "error", tookMs: performance.now() - at });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** When (ms after `from`) a probe started at or after `from` first answered `status`, if ever. */
  firstAfter(from: number, status: number): number | undefined {
    const sample = this.samples.find((s) => s.at >= from && s.status === status);
    return sample ? Math.round(sample.at + sample.tookMs - from) : undefined;
  }

  /** The longest a probe took between `from` and `to`. */
  slowest(from: number, to: number): number {
    return Math.round(
      Math.max(0, ...this.samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.tookMs)),
    );
  }
}

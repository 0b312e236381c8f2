import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Instance, waitFor } from "../federation/support.ts";
import { createSchool, expectStatus, type School } from "../support/api.ts";
import { freePort, type RunningProcess, startProcess } from "../support/processes.ts";

const peerDirectory = join(import.meta.dirname, "peer");

/** The peer's Python, installed (idempotently, from pinned PyPI packages) by peer/install.sh. */
function peerPython(): string {
  return execFileSync("bash", [join(peerDirectory, "install.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

export type SignatureScheme = "draft-cavage" | "rfc9421";

/** What the peer concluded about a request's signature, with its own code (see peer/signatures.py). */
export interface Verification {
  scheme: SignatureScheme | null;
  verified: boolean;
  key_id: string | null;
  owner: string | null;
  error: string | null;
  covered: string[] | null;
}

export interface Received {
  seq: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  signed: boolean;
  verification: Verification;
  activity?: Record<string, unknown>;
  outcome?: string;
}

export interface Answer {
  status: number | null;
  body?: string;
  headers?: Record<string, string>;
  error?: string;
}

export interface PeerActor {
  name: string;
  id: string;
  keyId: string;
  inbox: string;
}

/**
 * The independent ActivityPub peer (Python: bovine + http-message-signatures, served by aiohttp) as a
 * real process on a loopback port, driven through its control API.
 */
export class Peer {
  readonly url: string;
  readonly host: string;
  readonly process: RunningProcess;

  private constructor(url: string, process: RunningProcess) {
    this.url = url;
    this.host = new URL(url).host;
    this.process = process;
  }

  /** `refuseRfc9421`: answer 401 to RFC 9421 signatures (after verifying them), as draft-cavage-only servers do. */
  static async start(options: { refuseRfc9421?: boolean } = {}): Promise<Peer> {
    const port = await freePort();
    const args = [join(peerDirectory, "peer.py"), "--port", String(port)];
    if (options.refuseRfc9421) args.push("--refuse-rfc9421");
    const url = `http://127.0.0.1:${port}`;
    const process = await startProcess(peerPython(), args, `${url}/_control/health`, 60_000);
    return new Peer(url, process);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  private async control<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/_control/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(
      response.ok,
      `peer ${method} /_control/${path}: ${response.status} ${text}\n${this.process.output()}`,
    );
    return JSON.parse(text) as T;
  }

  async actor(name: string): Promise<PeerActor> {
    return { name, ...(await this.control<Omit<PeerActor, "name">>("POST", "actors", { name })) };
  }

  setStatus(name: string, status: "active" | "gone" | "missing"): Promise<unknown> {
    return this.control("POST", `actors/${name}/status`, { status });
  }

  state(name: string): Promise<{
    followers: Record<string, string>;
    following: Record<string, { state: string; follow: { id: string } }>;
  }> {
    return this.control("GET", `actors/${name}`);
  }

  /** Signs `activity` (or a raw `body`) as actor `from` and POSTs it to `to`; FediFlow's answer. */
  send(options: {
    from: string;
    to: string;
    activity?: unknown;
    body?: string;
    scheme?: SignatureScheme;
    tamper?: "digest" | "signature";
    keyId?: string;
    contentType?: string;
  }): Promise<Answer> {
    return this.control("POST", "send", options);
  }

  follow(from: string, target: string, scheme?: SignatureScheme) {
    return this.control<{ follow: { id: string }; target: Record<string, unknown>; answer: Answer }>(
      "POST",
      "follow",
      { from, target, scheme },
    );
  }

  undo(from: string, activity: string) {
    return this.control<{ undo: { id: string }; answer: Answer }>("POST", "undo", { from, activity });
  }

  /** GET through the peer: unsigned, or signed as actor `as`. `accept: null` sends no Accept header. */
  fetch(url: string, options: { accept?: string | null; as?: string; scheme?: SignatureScheme } = {}) {
    return this.control<{ status: number; headers: Record<string, string>; body: string }>("POST", "fetch", {
      url,
      accept: options.accept === undefined ? "application/activity+json" : options.accept,
      as: options.as,
      scheme: options.scheme,
    });
  }

  lookup(resource: string) {
    return this.control<{
      status: number;
      contentType: string;
      jrd?: { subject: string; links: { rel: string; href: string; type?: string }[] };
      actor?: Record<string, unknown>;
      body?: string;
    }>("POST", "lookup", { resource });
  }

  /** Serves `document` at `url` (below the peer's origin): a JSON-LD context, an object. */
  serve(url: string, document: unknown): Promise<unknown> {
    return this.control("POST", "documents", { url, document });
  }

  received(): Promise<Received[]> {
    return this.control("GET", "received");
  }

  sent(): Promise<(Answer & { url: string; scheme: string })[]> {
    return this.control("GET", "sent");
  }
}

/** The peer's records of activities POSTed to it, of one type, optionally only those after `seq`. */
export async function receivedActivities(peer: Peer, type: string, afterSeq = 0): Promise<Received[]> {
  return (await peer.received()).filter(
    (r) => r.method === "POST" && r.seq > afterSeq && r.activity?.type === type,
  );
}

/** Every signed request the peer received verified with its own code; returns them. */
export async function assertEverySignatureVerified(peer: Peer): Promise<Received[]> {
  const signed = (await peer.received()).filter((r) => r.signed);
  for (const r of signed) {
    assert.ok(
      r.verification.verified,
      `${r.method} ${r.path} (${r.verification.scheme}) did not verify: ${r.verification.error}`,
    );
  }
  const unsignedPosts = (await peer.received()).filter((r) => r.method === "POST" && !r.signed);
  assert.deepEqual(unsignedPosts, [], "every POST FediFlow sent was signed");
  return signed;
}

let sequence = 0;
/** A unique id below the peer's origin. */
export function peerId(peer: Peer, kind: "activities" | "objects"): string {
  sequence++;
  return `${peer.url}/${kind}/${Date.now().toString(36)}-${sequence}`;
}

/** A FediFlow instance (real process, own database, private addresses allowed) with school "uni" and one course. */
export async function startFediFlow(
  name: string,
): Promise<{ ff: Instance; school: School; courseId: string }> {
  const ff = await Instance.create(name);
  await ff.start();
  const school = await createSchool(ff.url, "uni");
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "Interop",
    course_type: "cohort",
  });
  expectStatus(course, 201);
  return { ff, school, courseId: course.body.id };
}

/** The school's student follows each remote actor (by URL) and waits until every follow is accepted. */
export async function studentFollows(school: School, actorIds: string[]): Promise<void> {
  for (const actor of actorIds)
    expectStatus(await school.student.post("/federation/following", { actor }), 202);
  await waitFor("the student's follows accepted", async () => {
    const list = await school.student.get<{ items: { actor: string; state: string }[] }>(
      "/federation/following",
    );
    return actorIds.every((id) => list.body.items.some((f) => f.actor === id && f.state === "accepted"));
  });
}

/**
 * Federation of FediFlow instances over ActivityPub, with Fedify.
 *
 * Actor/tenant mapping. Every instance has one origin (FEDERATION_ORIGIN, else the address it
 * listens on) shared by all its tenants. Users are `Person` actors and courses are `Group` actors at
 * `/ap/actors/{id}`, keyed by their (globally unique, immutable) UUID, so the tenant follows from the
 * row. WebFinger handles carry the tenant slug: `acct:{slug}.{username}@{host}` for a user,
 * `acct:{slug}.course-{courseId}@{host}` for a course; on a tenant's own domain (Host header) the
 * bare `acct:{username}@{domain}` also resolves (usernames match case-insensitively). Shared inbox
 * `/ap/inbox`; per-actor inbox, outbox, followers and following below the actor (collections.ts);
 * content and activities dereference at `/ap/content/{id}` and `/ap/activities/{id}` (documents.ts).
 * Key pairs (RSA + Ed25519) are generated on first use and kept in `federation_keys`.
 *
 * Outbound. A local activity (content created/updated in a course, a follow/join of a remote actor)
 * inserts a `publish` task into `federation_queue` in the same transaction as the activity row. The
 * worker turns it into an ActivityPub activity (objects.ts: addressed by the content's visibility, as
 * Mastodon reads `to`/`cc`; an Update or Delete like its Create) and calls Fedify's sendActivity with the
 * followers of the author and of the course as recipients; Fedify enqueues fan-out and per-inbox tasks in the same
 * queue. Deliveries retry with exponential back-off; 404/410 and other 4xx are permanent, 401/403
 * three times in a row too; given-up tasks move to `federation_dead_letters`. Every attempt updates the
 * remote instance's health record (`federation_instances`), whose circuit breaker holds a failing
 * host's deliveries and probes it before releasing them.
 *
 * Inbound. Fedify verifies HTTP signatures (401 otherwise) and queues the activity; the worker's
 * listeners accept follows/joins of local actors (and answer Accept), record accepts of our follows,
 * and store Create/Update/Delete of Notes and Articles once per receiving tenant (the federated
 * timeline), deduplicated by activity id. An actor's Delete of itself forgets it (also when its own key
 * already answers 404/410: unverified.ts).
 *
 * Queue. `federation_queue` (message-queue.ts, created by outbox.ts) implements Fedify's MessageQueue with native retries:
 * workers lease tasks (`locked_until`), delete them only when done (at-least-once; receivers
 * deduplicate by activity id), pick them oldest-first but at most FEDERATION_QUEUE_PER_HOST per remote
 * host (one flooding or slow host cannot starve the others), hold the tasks of hosts whose circuit is
 * open, and time out hung deliveries. Wake-ups: in-process, LISTEN/NOTIFY on PostgreSQL, else polling
 * (NOTIFY never arrives through pglite-socket).
 *
 * Safety. Deliveries and lookups to loopback/private addresses are refused unless
 * FEDERATION_ALLOW_PRIVATE_ADDRESSES=true; only the ActivityPub paths reach Fedify, without credential
 * headers, and Fedify's spans are stripped of credential header attributes; inbox bodies are limited.
 *
 * Roles. NODE_TYPE=all runs HTTP and the queue worker in one process; `web` only enqueues; `worker`
 * drains (and still serves HTTP, for probes and /metrics). All state is in PostgreSQL, so any number
 * of each can run.
 */
import { createFederation, type Federation } from "@fedify/fedify";
import { Endpoints, Group, Person } from "@fedify/vocab";
import { context } from "@opentelemetry/api";
import type { ActivityService } from "../activities/service.ts";
import type { FederationConfig } from "../config.ts";
import type { Sql } from "../platform/db/client.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import type { Metrics } from "../platform/telemetry/metrics.ts";
import { redactingTracerProvider } from "../platform/telemetry/redacting-tracer.ts";
import { suppressTracing } from "../platform/telemetry/spans.ts";
import { createLocalActors, type FeaturePorts } from "./actors.ts";
import { registerCollections } from "./collections.ts";
import { createDeliveryPolicy } from "./delivery.ts";
import { registerDocuments } from "./documents.ts";
import { createFollowingService } from "./following.ts";
import { registerInbox } from "./inbox.ts";
import { createInstanceHealth, type InstanceRecord } from "./instances.ts";
import { createKeyStore } from "./keys.ts";
import { PostgresKvStore } from "./kv-store.ts";
import { noteAttemptError, type PostgresMessageQueue } from "./message-queue.ts";
import { PUBLISH_TASK } from "./outbox.ts";
import { createPublisher } from "./publisher.ts";
import { dropFollower } from "./store.ts";

interface FederationDeps {
  sql: Sql;
  /** The delivery queue (outbox.ts), created first because the activity service enqueues into it. */
  queue: PostgresMessageQueue;
  config: FederationConfig;
  version: string;
  metrics: Metrics;
  logger: Logger;
  /** The features federation reads (actors, content, activities), through their services. */
  ports: FeaturePorts & {
    activities: Pick<ActivityService, "record" | "byId" | "published" | "countPublished">;
  };
}

export function createFederationService(deps: FederationDeps) {
  const { sql, queue, config, metrics, logger, ports } = deps;
  let origin = config.origin;
  const kv = new PostgresKvStore(sql, [["_fedify", "httpMessageSignaturesSpec"]]);
  const instances = createInstanceHealth(sql, {
    threshold: config.queue.circuitThreshold,
    recoveryMs: config.queue.circuitRecoveryMs,
    maxMs: config.queue.retryMaxMs,
  });
  queue.setPolicy(createDeliveryPolicy({ config, instances, metrics, logger }));
  const keys = createKeyStore(sql);
  const actors = createLocalActors(ports);

  const federation: Federation<void> = createFederation<void>({
    kv,
    queue,
    manuallyStartQueue: true,
    ...(config.origin ? { origin: config.origin } : {}),
    allowPrivateAddress: config.allowPrivateAddresses,
    circuitBreaker: false,
    permanentFailureStatusCodes: [404, 410],
    userAgent: { software: `FediFlow/${deps.version}` },
    tracerProvider: redactingTracerProvider(),
    onOutboxError: (error) => noteAttemptError(error),
  });

  federation
    .setActorDispatcher("/ap/actors/{identifier}", async (ctx, identifier) => {
      const actor = await actors.find(identifier);
      if (!actor) return null;
      const pairs = await ctx.getActorKeyPairs(identifier);
      const common = {
        id: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pairs[0]?.cryptographicKey,
        assertionMethods: pairs.map((pair) => pair.multikey),
        manuallyApprovesFollowers: false,
      };
      if (actor.kind === "user") {
        return new Person({
          ...common,
          preferredUsername: `${actor.slug}.${actor.username}`,
          name: actor.name,
          summary: `${actor.role} at ${actor.slug}`,
        });
      }
      return new Group({
        ...common,
        preferredUsername: `${actor.slug}.course-${actor.id}`,
        name: actor.title,
        summary: actor.description || actor.courseType,
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) =>
      keys.keyPairs(identifier, async () => (await actors.find(identifier)) !== undefined),
    )
    .mapHandle((ctx, handle) =>
      actors.resolveHandle(handle, (ctx as { url?: URL }).url?.host ?? ctx.host).then((id) => id ?? null),
    );

  registerCollections(federation, {
    sql,
    actors,
    activities: ports.activities,
    content: ports.content,
  });
  const documents = registerDocuments(federation, {
    sql,
    activities: ports.activities,
    content: ports.content,
  });

  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => {
    const usage = await actors.usage();
    return {
      software: { name: "fediflow", version: deps.version },
      protocols: ["activitypub"],
      usage: { users: { total: usage.users }, localPosts: usage.posts, localComments: 0 },
    };
  });

  federation.setOutboxPermanentFailureHandler(async (_ctx, values) => {
    // The inbox is gone (404/410): stop delivering to the actors behind it.
    for (const actorId of values.actorIds) await dropFollower(sql, actorId.href);
  });

  const currentOrigin = () => origin ?? "http://localhost";
  registerInbox(federation, { sql, actors, metrics, logger });

  const publisher = createPublisher({
    sql,
    federation: () => federation,
    origin: currentOrigin,
    activities: ports.activities,
    content: ports.content,
    logger,
  });
  queue.handle(PUBLISH_TASK, publisher.publish);

  const following = createFollowingService({
    sql,
    federation,
    origin: currentOrigin,
    actors,
    activities: ports.activities,
  });

  let worker: { abort: AbortController; done: Promise<void> } | undefined;

  return {
    federation,
    following,
    instances,
    /** Why `federation.fetch()` refused a request for a document: 401 (unsigned) or 403 (not in its audience). */
    refusalStatus: documents.refusalStatus,
    setOrigin(listening: string): void {
      origin ??= listening;
    },
    /** Starts draining the queue in this process (NODE_TYPE all or worker). */
    startWorker(): void {
      if (worker) return;
      const abort = new AbortController();
      // Expired KV rows, and queue payloads a crash or a failed statement left without tasks.
      const sweeper = setInterval(() => {
        void kv.sweep().catch(() => {});
        void queue.deleteOrphanedPayloads().catch(() => {});
      }, 300_000);
      sweeper.unref?.();
      const done = federation
        .startQueue(undefined, { signal: abort.signal })
        .catch((error: unknown) => logger.error("Federation worker stopped: {error}", { error }))
        .finally(() => clearInterval(sweeper));
      worker = { abort, done };
      logger.info("Federation worker started");
    },
    /** Stops claiming tasks, lets running ones finish (bounded) and releases the rest for the next worker. */
    async stopWorker(timeoutMs: number): Promise<{ unfinished: number }> {
      if (!worker) return { unfinished: 0 };
      const result = await queue.drain(timeoutMs);
      await instances.flush().catch(() => {});
      worker.abort.abort();
      await Promise.race([worker.done, new Promise((resolve) => setTimeout(resolve, 1000))]);
      worker = undefined;
      return result;
    },
    /** Remote instances with their delivery health, and the queue's state (the operators' view). */
    async instancesReport(): Promise<{
      items: InstanceRecord[];
      queue: Awaited<ReturnType<PostgresMessageQueue["stats"]>>;
    }> {
      const [items, stats] = await Promise.all([instances.list(), queue.stats()]);
      return { items, queue: stats };
    },
    /** Gauge values for a scrape (untraced: scrapes come every few seconds). */
    async snapshot() {
      const [stats, connectedByTenant] = await context.with(suppressTracing(context.active()), () =>
        Promise.all([queue.stats(), instances.connectedByTenant()]),
      );
      return {
        queueDepth: stats.depth,
        oldestDueAgeSeconds: stats.oldestDueAgeSeconds,
        deadLetters: stats.dead,
        connectedByTenant,
      };
    },
  };
}

export type FederationService = ReturnType<typeof createFederationService>;

import type { Federation, InboxContext } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Article,
  Create,
  Delete,
  Follow,
  getTypeId,
  Join,
  Leave,
  Note,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";
import { trace } from "@opentelemetry/api";
import type { Sql } from "../platform/db/client.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { Logger } from "../platform/telemetry/logger.ts";
import type { Metrics } from "../platform/telemetry/metrics.ts";
import { inSpan } from "../platform/telemetry/spans.ts";
import type { LocalActor, LocalActors } from "./actors.ts";
import { shortType } from "./delivery.ts";
import {
  acceptFollowing,
  addFollower,
  changeInboxObject,
  forgetDeletedActor,
  removeFollower,
  storeInboxItem,
  tenantsFollowing,
} from "./store.ts";
import { isSelfDeleteOfGoneActor } from "./unverified.ts";

interface InboxDeps {
  sql: Sql;
  actors: Pick<LocalActors, "find">;
  metrics: Metrics;
  logger: Logger;
}

const tracer = trace.getTracer("fediflow-federation");

/** Inbox listeners: run by the worker after Fedify verified the signature and queued the activity. */
export function registerInbox(federation: Federation<void>, deps: InboxDeps): void {
  const { sql, metrics, logger } = deps;

  function count(activity: Activity, status: string): void {
    const host = activity.actorId?.host ?? "unknown";
    metrics.federationActivities.inc({
      type: shortType(getTypeId(activity).href),
      instance: metrics.federationInstanceLabel.value(host),
      status,
    });
  }

  /** Each listener in a span of its own (continuing the sender's trace), counted as received. */
  function listener<A extends Activity>(
    handle: (ctx: InboxContext<void>, activity: A) => Promise<string | undefined>,
  ) {
    return (ctx: InboxContext<void>, activity: A) =>
      tracer.startActiveSpan("federation.inbox.process", async (span) => {
        span.setAttributes({
          "activitypub.activity.type": shortType(getTypeId(activity).href),
          "activitypub.activity.id": activity.id?.href ?? "",
          "activitypub.actor.id": activity.actorId?.href ?? "",
        });
        await inSpan(span, async () => {
          const status = (await handle(ctx, activity)) ?? "received";
          count(activity, status);
          span.setAttribute("federation.status", status);
        });
      });
  }

  async function localTarget(ctx: InboxContext<void>, objectId: URL | null): Promise<LocalActor | undefined> {
    if (!objectId) return undefined;
    const parsed = ctx.parseUri(objectId);
    if (parsed?.type !== "actor") return undefined;
    return deps.actors.find(parsed.identifier);
  }

  /** A remote Follow (or Join of a course): record the follower and answer Accept. */
  async function acceptRelation(
    ctx: InboxContext<void>,
    request: Follow | Join,
    relation: "follow" | "member",
  ) {
    const target = await localTarget(ctx, request.objectId);
    if (!target || !request.actorId) return "ignored";
    if (relation === "member" && target.kind !== "course") return "ignored";
    const follower = await request.getActor(ctx);
    if (!follower?.id || !follower.inboxId) return "ignored";
    await addFollower(sql, {
      tenantId: target.tenantId,
      localActorId: target.id,
      actorUri: follower.id.href,
      inboxUri: follower.inboxId.href,
      sharedInboxUri: follower.endpoints?.sharedInbox?.href ?? null,
      relation,
      activityUri: request.id?.href ?? null,
    });
    const me = ctx.getActorUri(target.id);
    await ctx.sendActivity(
      { identifier: target.id },
      follower,
      new Accept({ id: new URL(`#accept/${uuidv7()}`, me), actor: me, object: request }),
    );
    logger.info("{actor} now {relation}s {target}", { actor: follower.id.href, relation, target: target.id });
    return "received";
  }

  /** Where a received Note/Article lands: the tenants following its author or its course (audience). */
  async function receivingTenants(
    ctx: InboxContext<void>,
    activity: Activity,
    audience: URL[],
  ): Promise<string[]> {
    if (ctx.recipient) {
      const local = await deps.actors.find(ctx.recipient);
      return local ? [local.tenantId] : [];
    }
    const candidates = [activity.actorId, ...audience].filter((u): u is URL => u !== null);
    const tenants = new Set<string>();
    for (const uri of candidates) for (const t of await tenantsFollowing(sql, uri.href)) tenants.add(t);
    return [...tenants];
  }

  function contentOf(object: Article | Note): Record<string, unknown> {
    return {
      name: object.name?.toString() ?? null,
      summary: object.summary?.toString() ?? null,
      content: object.content?.toString() ?? null,
      mediaType: object.mediaType ?? null,
      attributedTo: object.attributionId?.href ?? null,
      audience: object.audienceIds.map((u) => u.href),
    };
  }

  federation
    .setInboxListeners("/ap/actors/{identifier}/inbox", "/ap/inbox")
    .on(
      Follow,
      listener<Follow>((ctx, follow) => acceptRelation(ctx, follow, "follow")),
    )
    .on(
      Join,
      listener<Join>((ctx, join) => acceptRelation(ctx, join, "member")),
    )
    .on(
      Accept,
      listener<Accept>(async (_ctx, accept) => {
        if (!accept.actorId) return "ignored";
        const changed = await acceptFollowing(sql, accept.actorId.href, accept.objectId?.href ?? null);
        return changed > 0 ? "received" : "ignored";
      }),
    )
    .on(
      Reject,
      listener<Reject>(async () => "received"),
    )
    .on(
      Undo,
      listener<Undo>(async (ctx, undo) => {
        const inner = await undo.getObject(ctx);
        if (!(inner instanceof Follow || inner instanceof Join) || !undo.actorId) return "ignored";
        if (inner.actorId?.href !== undo.actorId.href) return "ignored";
        const target = await localTarget(ctx, inner.objectId);
        if (!target) return "ignored";
        await removeFollower(sql, target.id, undo.actorId.href, inner instanceof Join ? "member" : "follow");
        return "received";
      }),
    )
    .on(
      Leave,
      listener<Leave>(async (ctx, leave) => {
        const target = await localTarget(ctx, leave.objectId);
        if (!target || !leave.actorId) return "ignored";
        await removeFollower(sql, target.id, leave.actorId.href, "member");
        return "received";
      }),
    )
    .on(
      Create,
      listener<Create>(async (ctx, create) => {
        const object = await create.getObject(ctx);
        if (!(object instanceof Article || object instanceof Note) || !create.actorId || !create.id)
          return "ignored";
        if (object.attributionId && object.attributionId.href !== create.actorId.href) return "ignored";
        const tenants = await receivingTenants(ctx, create, object.audienceIds);
        let stored = 0;
        for (const tenantId of tenants) {
          const inserted = await storeInboxItem(sql, {
            tenant_id: tenantId,
            activity_uri: create.id.href,
            activity_type: "Create",
            actor_uri: create.actorId.href,
            object_uri: object.id?.href ?? null,
            object_type: object instanceof Article ? "Article" : "Note",
            host: create.actorId.host,
            content: contentOf(object),
          });
          if (inserted) stored++;
        }
        if (tenants.length === 0) return "ignored";
        return stored > 0 ? "received" : "duplicate";
      }),
    )
    .on(
      Update,
      listener<Update>(async (ctx, update) => {
        const object = await update.getObject(ctx);
        if (!(object instanceof Article || object instanceof Note) || !object.id || !update.actorId)
          return "ignored";
        const changed = await changeInboxObject(sql, object.id.href, update.actorId.href, {
          content: contentOf(object),
        });
        return changed > 0 ? "received" : "ignored";
      }),
    )
    .on(
      Delete,
      listener<Delete>(async (_ctx, del) => {
        if (!del.objectId || !del.actorId) return "ignored";
        if (del.objectId.href === del.actorId.href) {
          // The actor deleted itself (Mastodon, Lemmy's Delete user): forget it now, not at the next failed delivery.
          const changed = await forgetDeletedActor(sql, del.actorId.href);
          logger.info("Remote actor {actor} deleted itself", { actor: del.actorId.href });
          return changed > 0 ? "received" : "ignored";
        }
        const changed = await changeInboxObject(sql, del.objectId.href, del.actorId.href, { deleted: true });
        return changed > 0 ? "received" : "ignored";
      }),
    )
    .onUnverifiedActivity(async (_ctx, activity, reason) => {
      const subject = {
        type: shortType(getTypeId(activity).href),
        actorId: activity.actorId?.href ?? null,
        objectId: activity.objectId?.href ?? null,
      };
      if (!isSelfDeleteOfGoneActor(subject, reason)) return undefined; // Fedify's 401
      await forgetDeletedActor(sql, subject.actorId as string);
      count(activity, "received");
      logger.info("Remote actor {actor} is gone and deleted itself", { actor: subject.actorId });
      return new Response(null, { status: 202 });
    })
    .onError((_ctx, error) => {
      logger.warn("Inbox listener failed: {error}", { error: error.message });
    });
}

import type { Federation } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import type { ActivityService } from "../activities/service.ts";
import { type Sql, transaction } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { ApiError, forbidden, notFound } from "../platform/http/errors.ts";
import { uuidv7 } from "../platform/ids.ts";
import { type Caller, requireSession } from "../users/auth.ts";
import type { LocalActors } from "./actors.ts";
import { activityUri } from "./objects.ts";
import {
  type Follower,
  type Following,
  findFollowing,
  type InboxItem,
  insertFollowing,
  listFollowers,
  listFollowing,
  listInbox,
  markFollowingPending,
  markFollowingUndone,
} from "./store.ts";

export type { Follower, Following, InboxItem };

export interface NewFollowing {
  /** Actor URL or `acct:` handle of a remote user or course. */
  actor: string;
  /** `member` enrols in a remote course (Join) instead of following it. */
  relation: "follow" | "member";
}

/**
 * Federation as local users use it: following (or joining) remote actors and undoing it, the
 * federated timeline, and the remote followers of local actors. Follows and undos are recorded as
 * activities (Follow/Join/Undo), which the outbox delivers.
 */
export function createFollowingService(deps: {
  sql: Sql;
  federation: Federation<void>;
  origin: () => string;
  actors: Pick<LocalActors, "find">;
  activities: Pick<ActivityService, "record">;
}) {
  const { sql, federation, activities } = deps;

  return {
    /**
     * Looks the remote actor up (WebFinger or its URL, under the origin of `request`) and sends a
     * Follow (or Join). Following again is a no-op (`created` false) unless the follow was undone.
     * 404 `actor_not_found` when no ActivityPub actor answers; 422 `local_actor` for an actor of this
     * instance (followed here, not through federation).
     */
    async follow(
      caller: Caller,
      input: NewFollowing,
      request: Request,
    ): Promise<{ following: Following; created: boolean }> {
      const session = requireSession(caller);
      const ctx = federation.createContext(request, undefined);
      let remote: Awaited<ReturnType<typeof ctx.lookupObject>>;
      try {
        remote = await ctx.lookupObject(input.actor);
      } catch {
        remote = null;
      }
      if (!remote || !isActor(remote) || !remote.id || !remote.inboxId) {
        throw new ApiError(404, "actor_not_found", "No ActivityPub actor found at that address");
      }
      if (ctx.parseUri(remote.id)?.type === "actor") {
        throw new ApiError(
          422,
          "local_actor",
          "That actor is on this instance: it is not followed through federation",
        );
      }
      const actor = remote;
      const tenantId = caller.tenant.id;
      return transaction(sql, async (tx) => {
        const outcome = await insertFollowing(tx, {
          id: uuidv7(),
          tenant_id: tenantId,
          user_id: session.userId,
          actor_uri: actor.id?.href as string,
          inbox_uri: actor.inboxId?.href as string,
          shared_inbox_uri: actor.endpoints?.sharedInbox?.href ?? null,
          relation: input.relation,
          activity_uri: "pending",
          name: actor.name?.toString() ?? actor.preferredUsername?.toString() ?? null,
        });
        if (!outcome.created && outcome.following.state !== "undone") return outcome;
        const activity = await activities.record(tx, {
          tenant_id: tenantId,
          actor_id: session.userId,
          type: input.relation === "member" ? "Join" : "Follow",
          object_type: actor.constructor.name === "Group" ? "Group" : "Person",
          object_id: outcome.following.id,
          summary: { remote: true, actor: actor.id?.href },
        });
        const uri = activityUri(deps.origin(), activity.id).href;
        await markFollowingPending(tx, outcome.following.id, uri);
        return {
          created: true,
          following: {
            ...outcome.following,
            state: "pending" as const,
            accepted_at: null,
            activity_uri: uri,
          },
        };
      });
    },

    /** Undoes a follow: its user or an admin of the tenant; the Undo is delivered to the remote actor. */
    async unfollow(caller: Caller, id: string): Promise<void> {
      const session = requireSession(caller);
      const following = await findFollowing(sql, id);
      if (!following || following.tenant_id !== caller.tenant.id) throw notFound("Following");
      if (following.user_id !== session.userId && session.role !== "admin")
        throw forbidden("Not your follow");
      await transaction(sql, async (tx) => {
        await markFollowingUndone(tx, following.id);
        await activities.record(tx, {
          tenant_id: following.tenant_id,
          actor_id: following.user_id,
          type: "Undo",
          object_type: following.relation === "member" ? "Join" : "Follow",
          object_id: following.id,
          summary: { remote: true, actor: following.actor_uri },
        });
      });
    },

    /** The signed-in user's follows; an admin sees the whole tenant's. */
    list(caller: Caller, page: PageRequest): Promise<Slice<Following>> {
      const session = requireSession(caller);
      const filter = session.role === "admin" ? {} : { userId: session.userId };
      return listFollowing(sql, caller.tenant.id, filter, page);
    },

    /** Content received from followed remote actors, for any signed-in user of the tenant. */
    timeline(caller: Caller, page: PageRequest): Promise<Slice<InboxItem>> {
      requireSession(caller);
      return listInbox(sql, caller.tenant.id, page);
    },

    /** Remote followers and members of a local course or user: staff, or the user themself. */
    async followersOf(caller: Caller, actorId: string, page: PageRequest): Promise<Slice<Follower>> {
      const session = requireSession(caller);
      const actor = await deps.actors.find(actorId);
      if (!actor || actor.tenantId !== caller.tenant.id) throw notFound("Actor");
      if (session.role === "student" && actorId !== session.userId) throw forbidden("Staff only");
      return listFollowers(sql, [actorId], page);
    },
  };
}

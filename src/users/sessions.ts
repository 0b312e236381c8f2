import { createHash, randomBytes } from "node:crypto";
import type { Cache } from "../cache/cache.ts";
import type { Role } from "./store.ts";

export interface Session {
  userId: string;
  tenantId: string;
  username: string;
  role: Role;
}

// Only a hash of the token is stored: a leaked Redis dump does not hand out live sessions.
const keyOf = (token: string) => `session:${createHash("sha256").update(token).digest("base64url")}`;

/** Opaque bearer tokens kept in the cache (Redis) with a TTL; logout deletes them. */
export function createSessions(cache: Cache, ttlSeconds: number) {
  return {
    ttlSeconds,
    async open(session: Session): Promise<{ token: string; expiresAt: Date }> {
      const token = randomBytes(32).toString("base64url");
      await cache.set(keyOf(token), JSON.stringify(session), ttlSeconds);
      return { token, expiresAt: new Date(Date.now() + ttlSeconds * 1000) };
    },
    async find(token: string): Promise<Session | undefined> {
      const value = await cache.get(keyOf(token));
      return value ? (JSON.parse(value) as Session) : undefined;
    },
    async close(token: string): Promise<void> {
      await cache.del(keyOf(token));
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

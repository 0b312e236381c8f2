import { createHash, randomBytes } from "node:crypto";
import type { Cache } from "../platform/cache/cache.ts";
import type { Role } from "./store.ts";

export interface Session {
  userId: string;
  tenantId: string;
  username: string;
  role: Role;
}

/** Only this digest of a token is stored: a leaked Redis dump does not hand out live sessions. */
export const tokenDigest = (token: string) => createHash("sha256").update(token).digest("base64url");
const keyOf = (digest: string) => `session:${digest}`;

/** Opaque bearer tokens kept in the cache (Redis) with a TTL; logout deletes them. */
export function createSessions(cache: Cache, ttlSeconds: number) {
  return {
    async open(session: Session): Promise<{ token: string; expiresAt: Date }> {
      const token = randomBytes(32).toString("base64url");
      await cache.set(keyOf(tokenDigest(token)), JSON.stringify(session), ttlSeconds);
      return { token, expiresAt: new Date(Date.now() + ttlSeconds * 1000) };
    },
    async find(digest: string): Promise<Session | undefined> {
      const value = await cache.get(keyOf(digest));
      return value ? (JSON.parse(value) as Session) : undefined;
    },
    async close(digest: string): Promise<void> {
      await cache.del(keyOf(digest));
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

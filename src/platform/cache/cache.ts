/** The key-value operations the service needs from Redis; the in-process store implements the same. */
export interface Cache {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Counts a hit in a fixed window that starts with the first hit; returns the count and seconds left. */
  hit(key: string, windowSeconds: number): Promise<{ count: number; resetSeconds: number }>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The cache could not answer in time; callers turn this into a 503, never a hang. */
export class CacheUnavailableError extends Error {
  override name = "CacheUnavailableError";
}

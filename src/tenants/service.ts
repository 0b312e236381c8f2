import type { Sql } from "postgres";
import { findTenant, type Tenant } from "./store.ts";

const TTL_MS = 30_000;
const MAX_ENTRIES = 1000;

/**
 * Resolves the request's tenant with a short-lived in-process cache: tenants change rarely and
 * every API request needs one. Misses are not cached, so a new tenant is visible at once.
 */
export function createTenantResolver(sql: Sql) {
  const cache = new Map<string, { tenant: Tenant; expiresAt: number }>();

  async function resolve(
    cacheKey: string,
    lookup: () => Promise<Tenant | undefined>,
  ): Promise<Tenant | undefined> {
    const hit = cache.get(cacheKey);
    if (hit && hit.expiresAt > Date.now()) return hit.tenant;
    const tenant = await lookup();
    if (tenant) {
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(cacheKey, { tenant, expiresAt: Date.now() + TTL_MS });
    }
    return tenant;
  }

  return {
    byKey: (key: string) => resolve(`k:${key.toLowerCase()}`, () => findTenant(sql, { key })),
    byDomain: (domain: string) =>
      resolve(`d:${domain.toLowerCase()}`, () => findTenant(sql, { domain: domain.toLowerCase() })),
  };
}

export type TenantResolver = ReturnType<typeof createTenantResolver>;

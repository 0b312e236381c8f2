import { type Sql, transaction } from "../platform/db/client.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { NewUser, User, UserService } from "../users/service.ts";
import { findTenant, insertTenant, type Tenant } from "./store.ts";

export type { Tenant };

const TTL_MS = 30_000;
const MAX_ENTRIES = 1000;

export interface NewTenant {
  slug: string;
  name: string;
  domain?: string | undefined;
  admin: Omit<NewUser, "role">;
}

/**
 * Tenants (schools): created by the platform operator together with their first admin, and resolved
 * for every request with a short-lived in-process cache (tenants change rarely and every API request
 * needs one). Misses are not cached, so a new tenant is visible at once.
 */
export function createTenantService(deps: { sql: Sql; users: Pick<UserService, "prepare" | "insert"> }) {
  const { sql, users } = deps;
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
    /** By id or slug, as X-Tenant-Id names it. */
    byKey: (key: string) => resolve(`k:${key.toLowerCase()}`, () => findTenant(sql, { key })),
    bySlug: (slug: string) => resolve(`s:${slug.toLowerCase()}`, () => findTenant(sql, { slug })),
    byDomain: (domain: string) =>
      resolve(`d:${domain.toLowerCase()}`, () => findTenant(sql, { domain: domain.toLowerCase() })),

    /** Creates the tenant and its first admin in one transaction (the password is hashed before it). */
    async create(input: NewTenant): Promise<{ tenant: Tenant; admin: User }> {
      const admin = await users.prepare({ ...input.admin, role: "admin" });
      return transaction(sql, async (tx) => {
        const tenant = await insertTenant(tx, {
          id: uuidv7(),
          slug: input.slug,
          name: input.name,
          domain: input.domain?.toLowerCase() ?? null,
        });
        return { tenant, admin: await users.insert(tx, tenant.id, admin) };
      });
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;

import type { Sql } from "../platform/db/client.ts";
import { isUuid } from "../platform/ids.ts";

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  domain: string | null;
  created_at: string;
}

export async function insertTenant(sql: Sql, tenant: Omit<Tenant, "created_at">): Promise<Tenant> {
  const [row] = await sql<Tenant[]>`
    insert into tenants (id, slug, name, domain)
    values (${tenant.id}, ${tenant.slug}, ${tenant.name}, ${tenant.domain})
    returning id, slug, name, domain, created_at`;
  return row as Tenant;
}

/**
 * Finds a tenant by id or slug (the X-Tenant-Id header accepts either), by slug alone (WebFinger
 * handles) or by its own domain.
 */
export async function findTenant(
  sql: Sql,
  by: { key: string } | { slug: string } | { domain: string },
): Promise<Tenant | undefined> {
  if ("domain" in by) {
    const [row] = await sql<
      Tenant[]
    >`select id, slug, name, domain, created_at from tenants where domain = ${by.domain}`;
    return row;
  }
  const [row] =
    "key" in by && isUuid(by.key)
      ? await sql<Tenant[]>`select id, slug, name, domain, created_at from tenants where id = ${by.key}`
      : await sql<
          Tenant[]
        >`select id, slug, name, domain, created_at from tenants where slug = ${("key" in by ? by.key : by.slug).toLowerCase()}`;
  return row;
}

import type { Sql } from "../platform/db/client.ts";
import { keysetPage, type PageRequest, type Slice } from "../platform/db/keyset.ts";

export const ROLES = ["admin", "instructor", "student"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  tenant_id: string;
  username: string;
  email: string;
  display_name: string;
  role: Role;
  created_at: string;
}

const columns = "id, tenant_id, username, email, display_name, role, created_at";

export async function insertUser(
  sql: Sql,
  user: Omit<User, "created_at"> & { password_hash: string },
): Promise<User> {
  const [row] = await sql<User[]>`
    insert into users (id, tenant_id, username, email, display_name, role, password_hash)
    values (${user.id}, ${user.tenant_id}, ${user.username}, ${user.email}, ${user.display_name}, ${user.role}, ${user.password_hash})
    returning ${sql.unsafe(columns)}`;
  return row as User;
}

export async function findUser(sql: Sql, tenantId: string, id: string): Promise<User | undefined> {
  const [row] = await sql<
    User[]
  >`select ${sql.unsafe(columns)} from users where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}

/** A user of any tenant by its (globally unique) id: federation's actors. */
export async function findUserById(sql: Sql, id: string): Promise<User | undefined> {
  const [row] = await sql<User[]>`select ${sql.unsafe(columns)} from users where id = ${id}`;
  return row;
}

/**
 * A user by username, case-insensitively: usernames are fediverse handles, which Mastodon, Pleroma and
 * Misskey look up case-insensitively (Misskey sends them lower-cased). Unique per tenant in that sense
 * (index `users_tenant_username_lower_key`, migration 012), which also serves this lookup.
 */
export async function findUserByUsername(
  sql: Sql,
  tenantId: string,
  username: string,
): Promise<User | undefined> {
  const [row] = await sql<User[]>`
    select ${sql.unsafe(columns)} from users where tenant_id = ${tenantId} and lower(username) = lower(${username})`;
  return row;
}

export async function findCredentials(
  sql: Sql,
  tenantId: string,
  username: string,
): Promise<(User & { password_hash: string }) | undefined> {
  const [row] = await sql<(User & { password_hash: string })[]>`
    select ${sql.unsafe(columns)}, password_hash from users where tenant_id = ${tenantId} and username = ${username}`;
  return row;
}

export function listUsers(sql: Sql, tenantId: string, page: PageRequest): Promise<Slice<User>> {
  return keysetPage(
    sql,
    page,
    (k) => sql<User[]>`
      select ${sql.unsafe(columns)} from users where tenant_id = ${tenantId} ${k.after} ${k.page}`,
  );
}

/** Users of every tenant (NodeInfo usage). */
export async function countUsers(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from users`;
  return row?.n ?? 0;
}

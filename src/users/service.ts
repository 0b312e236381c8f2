import type { Sql } from "../platform/db/client.ts";
import type { PageRequest, Slice } from "../platform/db/keyset.ts";
import { notFound, unauthorized } from "../platform/http/errors.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { DomainMetrics } from "../platform/telemetry/metrics.ts";
import type { Tenant } from "../tenants/middleware.ts";
import { type Caller, requireSession } from "./auth.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import type { Sessions } from "./sessions.ts";
import {
  countUsers,
  findCredentials,
  findUser,
  findUserById,
  findUserByUsername,
  insertUser,
  listUsers,
  type Role,
  type User,
} from "./store.ts";

export type { User };

export interface NewUser {
  username: string;
  email: string;
  display_name?: string | undefined;
  password: string;
  role: Role;
}

/** A new user whose password is already hashed (scrypt is slow: hash before opening a transaction). */
export interface PreparedUser {
  username: string;
  email: string;
  display_name: string;
  role: Role;
  password_hash: string;
}

/** Users of a tenant, their roles and their sessions (sign-in with username and password). */
export function createUserService(deps: {
  sql: Sql;
  sessions: Sessions;
  passwordCost: number;
  metrics: Pick<DomainMetrics, "sessionStarted">;
}) {
  const { sql, sessions } = deps;

  async function prepare(input: NewUser): Promise<PreparedUser> {
    return {
      username: input.username,
      email: input.email,
      display_name: input.display_name ?? input.username,
      role: input.role,
      password_hash: await hashPassword(input.password, deps.passwordCost),
    };
  }

  function insert(tx: Sql, tenantId: string, user: PreparedUser): Promise<User> {
    return insertUser(tx, { id: uuidv7(), tenant_id: tenantId, ...user });
  }

  return {
    prepare,
    /** Inserts a prepared user inside the caller's transaction (a new tenant's first admin). */
    insert,

    /** Admins create users of their tenant; a taken username or email is a 409 (unique constraint). */
    async create(caller: Caller, input: NewUser): Promise<User> {
      requireSession(caller, "admin");
      return insert(sql, caller.tenant.id, await prepare(input));
    },

    list(caller: Caller, page: PageRequest): Promise<Slice<User>> {
      requireSession(caller, "admin", "instructor");
      return listUsers(sql, caller.tenant.id, page);
    },

    async me(caller: Caller): Promise<User> {
      const session = requireSession(caller);
      const user = await findUser(sql, caller.tenant.id, session.userId);
      if (!user) throw notFound("User");
      return user;
    },

    /** Staff see every user of the tenant; a student only themself (others are "not found"). */
    async get(caller: Caller, id: string): Promise<User> {
      const session = requireSession(caller);
      if (session.role === "student" && id !== session.userId) throw notFound("User");
      const user = await findUser(sql, caller.tenant.id, id);
      if (!user) throw notFound("User");
      return user;
    },

    /** Opens a session; unknown users and wrong passwords get the same 401. */
    async signIn(
      tenant: Tenant,
      username: string,
      password: string,
    ): Promise<{ token: string; expiresAt: Date; user: User }> {
      const credentials = await findCredentials(sql, tenant.id, username);
      if (!credentials || !(await verifyPassword(password, credentials.password_hash))) {
        throw unauthorized("Unknown username or wrong password");
      }
      const { password_hash: _, ...user } = credentials;
      const { token, expiresAt } = await sessions.open({
        userId: user.id,
        tenantId: tenant.id,
        username: user.username,
        role: user.role,
      });
      deps.metrics.sessionStarted(tenant.slug, user.role);
      return { token, expiresAt, user };
    },

    /** Revokes the session of the request's bearer token (its digest). */
    async signOut(caller: Caller, tokenDigest: string): Promise<void> {
      requireSession(caller);
      await sessions.close(tokenDigest);
    },

    /** Any tenant's user by id (federation's Person actors). */
    byId: (id: string) => findUserById(sql, id),
    /** A tenant's user by username, matched case-insensitively (a WebFinger handle; see the store). */
    byUsername: (tenantId: string, username: string) => findUserByUsername(sql, tenantId, username),
    /** Users of every tenant (NodeInfo). */
    count: () => countUsers(sql),
  };
}

export type UserService = ReturnType<typeof createUserService>;

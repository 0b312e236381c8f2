import assert from "node:assert/strict";
import { ADMIN_TOKEN } from "./spawn.ts";
import type { Fetcher } from "./target.ts";

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Where requests go: a server's base URL, or a fetch-like function (a test Target, `app.request`). */
export type Endpoint = string | Fetcher;

function fetcherOf(endpoint: Endpoint): Fetcher {
  return typeof endpoint === "string" ? (path, init) => fetch(`${endpoint}${path}`, init) : endpoint;
}

/**
 * A small JSON client bound to one tenant and, once signed in, one bearer token. It only needs a
 * fetch-like function, so the same test runs in process (`app.request`) and against a real server.
 */
export class Api {
  readonly endpoint: Endpoint;
  readonly tenant: string | undefined;
  readonly token: string | undefined;
  readonly headers: Record<string, string>;
  readonly #fetch: Fetcher;

  constructor(
    endpoint: Endpoint,
    options: { tenant?: string; token?: string; headers?: Record<string, string> } = {},
  ) {
    this.endpoint = endpoint;
    this.#fetch = fetcherOf(endpoint);
    this.tenant = options.tenant;
    this.token = options.token;
    this.headers = options.headers ?? {};
  }

  as(token: string | undefined): Api {
    return new Api(this.endpoint, { tenant: this.tenant, token, headers: this.headers });
  }

  forTenant(tenant: string): Api {
    return new Api(this.endpoint, { tenant, token: this.token, headers: this.headers });
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.tenant) headers["x-tenant-id"] = this.tenant;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.#fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
  }

  get = <T = Record<string, unknown>>(path: string) => this.request<T>("GET", path);
  post = <T = Record<string, unknown>>(path: string, body?: unknown) =>
    this.request<T>("POST", path, body ?? {});
  patch = <T = Record<string, unknown>>(path: string, body: unknown) => this.request<T>("PATCH", path, body);
}

export function expectStatus(response: ApiResponse<unknown>, status: number): void {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
}

export interface School {
  slug: string;
  tenantId: string;
  admin: Api;
  instructor: Api;
  student: Api;
  ids: { admin: string; instructor: string; student: string };
}

const PASSWORD = "correct horse battery";

export async function signIn(api: Api, username: string, password = PASSWORD): Promise<Api> {
  const login = await api.post<{ token: string }>("/sessions", { username, password });
  expectStatus(login, 201);
  return api.as(login.body.token);
}

/** A tenant with an admin, an instructor and a student, each signed in. */
export async function createSchool(endpoint: Endpoint, slug: string): Promise<School> {
  const platform = new Api(endpoint, { token: ADMIN_TOKEN });
  const created = await platform.post<{ tenant: { id: string }; admin: { id: string } }>("/tenants", {
    slug,
    name: `School ${slug}`,
    admin: { username: "principal", email: `principal@${slug}.example`, password: PASSWORD },
  });
  expectStatus(created, 201);
  const admin = await signIn(new Api(endpoint, { tenant: slug }), "principal");
  const ids = { admin: created.body.admin.id, instructor: "", student: "" };
  for (const role of ["instructor", "student"] as const) {
    const user = await admin.post<{ id: string }>("/users", {
      username: role,
      email: `${role}@${slug}.example`,
      password: PASSWORD,
      role,
    });
    expectStatus(user, 201);
    ids[role] = user.body.id;
  }
  return {
    slug,
    tenantId: created.body.tenant.id,
    admin,
    instructor: await signIn(admin.as(undefined), "instructor"),
    student: await signIn(admin.as(undefined), "student"),
    ids,
  };
}

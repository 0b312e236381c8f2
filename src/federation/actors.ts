import type { ContentService } from "../content/service.ts";
import type { CourseService } from "../courses/service.ts";
import { isUuid } from "../platform/ids.ts";
import type { TenantService } from "../tenants/service.ts";
import type { UserService } from "../users/service.ts";

/** A local actor: a user (Person) or a course (Group), with its tenant. */
export type LocalActor =
  | {
      kind: "user";
      id: string;
      tenantId: string;
      slug: string;
      tenantDomain: string | null;
      username: string;
      name: string;
      role: string;
      createdAt: string | Date;
    }
  | {
      kind: "course";
      id: string;
      tenantId: string;
      slug: string;
      tenantDomain: string | null;
      title: string;
      description: string;
      courseType: string;
      instructorId: string;
      createdAt: string | Date;
    };

/** What federation reads from the other features, through their services (never their tables). */
export interface FeaturePorts {
  tenants: Pick<TenantService, "byKey" | "bySlug" | "byDomain">;
  users: Pick<UserService, "byId" | "byUsername" | "count">;
  courses: Pick<CourseService, "byId">;
  content: Pick<ContentService, "byId" | "count">;
}

const COURSE_HANDLE = /^([a-z0-9][a-z0-9-]{1,62})\.course-([0-9a-f-]{36})$/;
/** The characters of every local handle: tenant slugs, usernames, course ids, dots and dashes. */
const LOCAL_HANDLE = /^[A-Za-z0-9_.-]{1,200}$/;

/** Users and courses as ActivityPub actors, and WebFinger handles mapped to them (see service.ts). */
export function createLocalActors(ports: FeaturePorts) {
  return {
    async find(id: string): Promise<LocalActor | undefined> {
      if (!isUuid(id)) return undefined;
      const user = await ports.users.byId(id);
      if (user) {
        const tenant = await ports.tenants.byKey(user.tenant_id);
        if (!tenant) return undefined;
        return {
          kind: "user",
          id: user.id,
          tenantId: user.tenant_id,
          slug: tenant.slug,
          tenantDomain: tenant.domain,
          username: user.username,
          name: user.display_name,
          role: user.role,
          createdAt: user.created_at,
        };
      }
      const course = await ports.courses.byId(id);
      const tenant = course ? await ports.tenants.byKey(course.tenant_id) : undefined;
      if (!course || !tenant) return undefined;
      return {
        kind: "course",
        id: course.id,
        tenantId: course.tenant_id,
        slug: tenant.slug,
        tenantDomain: tenant.domain,
        title: course.title,
        description: course.description,
        courseType: course.course_type,
        instructorId: course.instructor_id,
        createdAt: course.created_at,
      };
    },

    /**
     * Maps a WebFinger handle's local part to an actor id: `{slug}.course-{courseId}`, `{slug}.{username}`,
     * or on a tenant's own domain (`requestHost`) the bare username.
     */
    async resolveHandle(handle: string, requestHost: string): Promise<string | undefined> {
      // Anything else names nobody here, and must not reach SQL (U+0000 is a data exception there).
      if (!LOCAL_HANDLE.test(handle)) return undefined;
      const lower = handle.toLowerCase();
      const course = COURSE_HANDLE.exec(lower);
      if (course) {
        const tenant = await ports.tenants.bySlug(course[1] as string);
        const found =
          tenant && isUuid(course[2] as string) ? await ports.courses.byId(course[2] as string) : undefined;
        return found && found.tenant_id === tenant?.id ? found.id : undefined;
      }
      const dot = lower.indexOf(".");
      if (dot > 0) {
        const tenant = await ports.tenants.bySlug(lower.slice(0, dot));
        const user = tenant ? await ports.users.byUsername(tenant.id, handle.slice(dot + 1)) : undefined;
        if (user) return user.id;
      }
      const tenant = await ports.tenants.byDomain(requestHost.replace(/:\d+$/, "").toLowerCase());
      return tenant ? (await ports.users.byUsername(tenant.id, handle))?.id : undefined;
    },

    /** NodeInfo usage: users and local posts of every tenant. */
    async usage(): Promise<{ users: number; posts: number }> {
      const [users, posts] = await Promise.all([ports.users.count(), ports.content.count()]);
      return { users, posts };
    },
  };
}

export type LocalActors = ReturnType<typeof createLocalActors>;

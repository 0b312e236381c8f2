import type { Role } from "../users/auth.ts";
import type { ContentType } from "./store.ts";

/** Teaching material is written by staff; discussions are open to everyone taking part in the course. */
const STAFF_ONLY: ReadonlySet<ContentType> = new Set([
  "lesson",
  "quiz",
  "assignment",
  "announcement",
  "resource",
]);

export interface Participation {
  role: Role;
  isCourseInstructor: boolean;
  isEnrolled: boolean;
}

export function mayRead(who: Participation): boolean {
  return who.role === "admin" || who.isCourseInstructor || who.isEnrolled;
}

export function mayPublish(who: Participation, contentType: ContentType): boolean {
  if (who.role === "admin" || who.isCourseInstructor) return true;
  if (STAFF_ONLY.has(contentType)) return false;
  return who.isEnrolled;
}

/** Its author or an admin of the tenant edits or deletes a piece of content. */
export function mayChange(who: { role: Role; userId: string }, authorId: string): boolean {
  return who.role === "admin" || who.userId === authorId;
}

/** ActivityStreams object type: long-form teaching material is an Article, the rest a Note. */
export function objectTypeOf(contentType: ContentType): "Article" | "Note" {
  return STAFF_ONLY.has(contentType) && contentType !== "announcement" ? "Article" : "Note";
}

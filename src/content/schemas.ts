import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import { CONTENT_TYPES, type Content } from "./store.ts";

export const ContentSchema = z
  .object({
    id: z.uuid(),
    course_id: z.uuid(),
    author_id: z.uuid(),
    content_type: z.enum(CONTENT_TYPES),
    title: z.string(),
    body: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Content");

export const NewContent = z.object({
  content_type: z.enum(CONTENT_TYPES),
  title: z.string().trim().min(1).max(300),
  body: z.string().min(1).max(200_000),
});
export const ContentChanges = NewContent.omit({ content_type: true }).partial();

export const serializeContent = (item: Content) => ({
  id: item.id,
  course_id: item.course_id,
  author_id: item.author_id,
  content_type: item.content_type,
  title: item.title,
  body: item.body,
  created_at: item.created_at,
  updated_at: item.updated_at,
});

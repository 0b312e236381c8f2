import { z } from "@hono/zod-openapi";
import { changesTo, timestamp } from "../platform/http/openapi.ts";
import { storedText } from "../platform/http/text.ts";
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
  title: storedText({ max: 300, nonBlank: true }),
  body: storedText({ min: 1, max: 200_000 }),
});
export const ContentChanges = changesTo(NewContent.omit({ content_type: true }));

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

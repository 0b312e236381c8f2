import { z } from "@hono/zod-openapi";
import { changesTo, timestamp } from "../platform/http/openapi.ts";
import { storedText } from "../platform/http/text.ts";
import { CONTENT_TYPES, type Content, VISIBILITIES } from "./store.ts";

const visibility = z.enum(VISIBILITIES).openapi({
  description:
    "How the content federates, as Mastodon reads `to`/`cc`: `public` (addressed to the Public " +
    "collection, cc the followers of its author and course), `unlisted` (to the followers, cc Public: " +
    "not on public timelines) or `followers` (to the followers only; its ActivityPub id is served only " +
    "to signed requests of those followers). Who may read it through this API does not change. Fixed " +
    "at publication: an edit or deletion reaches the same audience.",
});

export const ContentSchema = z
  .object({
    id: z.uuid(),
    course_id: z.uuid(),
    author_id: z.uuid(),
    content_type: z.enum(CONTENT_TYPES),
    visibility,
    title: z.string(),
    body: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Content");

export const NewContent = z.object({
  content_type: z.enum(CONTENT_TYPES),
  visibility: visibility.optional().openapi({ default: "followers" }),
  title: storedText({ max: 300, nonBlank: true }),
  body: storedText({ min: 1, max: 200_000 }),
});
export const ContentChanges = changesTo(NewContent.omit({ content_type: true, visibility: true }));

export const serializeContent = (item: Content) => ({
  id: item.id,
  course_id: item.course_id,
  author_id: item.author_id,
  content_type: item.content_type,
  visibility: item.visibility,
  title: item.title,
  body: item.body,
  created_at: item.created_at,
  updated_at: item.updated_at,
});

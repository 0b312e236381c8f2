import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import { ROLES, type User } from "./store.ts";

export const UserSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    email: z.string(),
    display_name: z.string(),
    role: z.enum(ROLES),
    created_at: timestamp,
  })
  .openapi("User");

export const NewUserFields = z.object({
  username: z.string().regex(/^[a-z0-9_.-]{2,64}$/i, "2-64 letters, digits, dots, dashes or underscores"),
  email: z.email().max(254),
  display_name: z.string().min(1).max(200).optional(),
  password: z.string().min(10, "at least 10 characters").max(256),
  role: z.enum(ROLES),
});

export const serializeUser = (u: User) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  display_name: u.display_name,
  role: u.role,
  created_at: u.created_at,
});

export const Login = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export const SessionSchema = z
  .object({ token: z.string(), token_type: z.literal("Bearer"), expires_at: timestamp, user: UserSchema })
  .openapi("Session");

import { z } from "@hono/zod-openapi";
import { timestamp } from "../platform/http/openapi.ts";
import { storedText } from "../platform/http/text.ts";
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
  username: z.string().regex(/^[A-Za-z0-9_.-]{2,64}$/, "2-64 letters, digits, dots, dashes or underscores"),
  // WHATWG HTML's valid e-mail address (what `<input type=email>` accepts: any RFC 5322 dot-atom local
  // part and host name), documented as its pattern alone: the `email` format's readers disagree on the
  // edges (leading dots, one-label domains), so a format would let the document and the service differ.
  email: z
    .string()
    .max(254)
    .regex(z.regexes.html5Email, "must be an e-mail address such as name@school.example")
    .openapi({ description: "E-mail address (WHATWG HTML's valid e-mail address)" }),
  display_name: storedText({ max: 200, nonBlank: true }).optional(),
  password: storedText({ min: 10, max: 256 }),
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

export const Login = z.object({
  username: storedText({ min: 1, max: 64 }),
  password: storedText({ min: 1, max: 256 }),
});

export const SessionSchema = z
  .object({ token: z.string(), token_type: z.literal("Bearer"), expires_at: timestamp, user: UserSchema })
  .openapi("Session");

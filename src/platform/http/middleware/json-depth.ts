import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.ts";
import { mayHaveBody } from "./body-limit.ts";

/**
 * A limit on how deeply a JSON body nests objects and arrays, checked on the raw bytes before anything
 * parses them. `JSON.parse` copes with deep input, but what runs on its result may recurse once per
 * level: jsonld.js (JSON-LD expansion, under Fedify's inbox) overflows the stack at about a thousand
 * levels (`RangeError: Maximum call stack size exceeded`, a 500) before the signature is even checked,
 * and zod validates recursively too. Real payloads nest under ten levels (Announce → Create → Note → tag;
 * Alertmanager's v4 payload three), so the limit (JSON_MAX_DEPTH, 64 by default) refuses only hostile input.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * True when the JSON text in `bytes` (UTF-8) opens more than `limit` objects/arrays inside one another.
 * Brackets inside strings do not count (escapes honoured). Linear, allocation-free and total: bytes that
 * are not JSON still get an answer (the parser refuses them afterwards). UTF-8 continuation bytes are
 * never ASCII, so scanning bytes is scanning characters.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
  }
  return false;
}

/**
 * Refuses a request body nested deeper than `maxDepth` with 400 `json_too_deep`. Mount it after the body
 * limit (it reads the body, which hono then keeps for the handler's `c.req.json()`/`arrayBuffer()`).
 */
export function limitJsonDepth(maxDepth: number): MiddlewareHandler {
  return async (c, next) => {
    if (!mayHaveBody(c) || !c.req.raw.body) return next();
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (nestsDeeperThan(bytes, maxDepth)) {
      throw new ApiError(
        400,
        "json_too_deep",
        `The JSON body nests objects and arrays more than ${maxDepth} levels deep`,
      );
    }
    return next();
  };
}

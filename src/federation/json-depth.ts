/**
 * Nesting depth of untrusted JSON, measured on the text before it is parsed. JSON-LD processing
 * (jsonld.js, under Fedify) recurses once per level: about a thousand nested objects or arrays (6 KB)
 * overflow the stack (`RangeError: Maximum call stack size exceeded`) before the signature is even
 * checked. Real activities nest fewer than ten levels (Announce → Create → Note → tag → …), so a limit
 * of 64 refuses only hostile input.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of `[`/`{` in a JSON text, ignoring brackets inside strings (escapes honoured).
 * Linear, allocation-free, and safe on any input: malformed JSON still gets a number (the parser
 * rejects it afterwards). Stops counting once `limit` is exceeded and returns `limit + 1`.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth--;
  }
  return deepest;
}

/** True when `text` nests deeper than `limit` (default MAX_JSON_DEPTH): answer 400 before parsing. */
export function exceedsJsonDepth(text: string, limit = MAX_JSON_DEPTH): boolean {
  return jsonDepth(text, limit) > limit;
}

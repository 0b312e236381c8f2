/**
 * The one rule for text that reaches PostgreSQL, from every entry point.
 *
 * JSON (RFC 8259 §7) can carry any code point, including U+0000 and unpaired surrogates (`"\ud800"`).
 * PostgreSQL can store neither: `text` refuses U+0000 (SQLSTATE 22021, character_not_in_repertoire),
 * `jsonb` refuses `\u0000` (22P05, untranslatable_character), and an unpaired surrogate has no UTF-8
 * form at all (the driver would silently store U+FFFD instead).
 *
 * - A client of the API can correct its input: such a value is refused with 422 naming the field, and
 *   the OpenAPI document says so with `pattern` (U+0000; a generator working in UTF-8 cannot produce an
 *   unpaired surrogate anyway). Lengths are counted in code points, as JSON Schema's `minLength` and
 *   `maxLength` do (JSON Schema Validation §6.3.1), not in UTF-16 units as `String.length` does.
 * - A machine feed whose refusal would lose data and whose sender cannot correct it (Alertmanager's
 *   webhook, ActivityPub activities from other servers) is stored with each unstorable code point
 *   replaced by U+FFFD REPLACEMENT CHARACTER: what a UTF-8 encoder does with a code point it cannot
 *   encode (WHATWG Encoding §4.3, Go's encoding/json).
 */

/** Text without U+0000 (may be empty). ECMA-262 source, also valid as a JSON Schema `pattern`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what the rule is about.
export const NO_NUL_PATTERN = /^[^\u0000]*$/;
/**
 * Text without U+0000 that has at least one character other than white space. White space is spelled
 * out (ECMA-262 WhiteSpace and LineTerminator, the set of JavaScript's `\s`) instead of `\s`, whose
 * meaning differs between regex dialects (Python's includes U+001C-U+001F, not U+FEFF): the document's
 * readers must all draw the same line.
 */
export const NON_BLANK_PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what the rule is about.
  /^[^\u0000]*[^\u0000\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff][^\u0000]*$/;

/** Number of Unicode code points (what JSON Schema's length keywords count). */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** True when PostgreSQL can store `value` as given: no U+0000 and no unpaired surrogate. */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/** `value` with U+0000 and unpaired surrogates replaced by U+FFFD (for machine feeds, see above). */
export function replaceUnstorable(value: string): string {
  return value.toWellFormed().replaceAll("\u0000", "\uFFFD");
}

/**
 * A JSON value with {@link replaceUnstorable} applied to every string in it, object keys included
 * (a `jsonb` key is text too). Returns the value itself when nothing needed replacing.
 */
export function replaceUnstorableDeep<T>(value: T): T {
  if (typeof value === "string") return (isStorableText(value) ? value : replaceUnstorable(value)) as T;
  if (Array.isArray(value)) return value.map(replaceUnstorableDeep) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [replaceUnstorableDeep(key), replaceUnstorableDeep(item)]),
    ) as T;
  }
  return value;
}

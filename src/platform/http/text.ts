import { z } from "@hono/zod-openapi";
import { codePointLength, NO_NUL_PATTERN, NON_BLANK_PATTERN } from "../db/text.ts";

/**
 * zod strings for API fields, built on the storable-text rule of src/platform/db/text.ts and documented as they
 * are enforced, so the OpenAPI document and the service accept the same values.
 */

export interface TextRule {
  /** Least number of code points (JSON Schema minLength). */
  min?: number;
  /** Greatest number of code points (JSON Schema maxLength). */
  max: number;
  /** Refuse text made only of white space (and the empty string). */
  nonBlank?: boolean;
}

/**
 * A zod string for a field that is stored in PostgreSQL, documented as it is enforced: `pattern`,
 * `minLength` and `maxLength` in code points. The 422 names the field and the first rule it breaks.
 * The value is kept exactly as sent (no trimming), so a 2xx stores what the client sent.
 */
export function storedText(rule: TextRule) {
  const min = rule.min ?? (rule.nonBlank ? 1 : 0);
  const pattern = rule.nonBlank ? NON_BLANK_PATTERN : NO_NUL_PATTERN;
  // The first rule a value breaks is reported (abort), so a field gets one clear message.
  return z
    .string()
    .regex(pattern, {
      message: rule.nonBlank
        ? "must contain a character other than white space, and no U+0000"
        : "must not contain U+0000",
      abort: true,
    })
    .refine((value) => value.isWellFormed(), {
      message: "must not contain an unpaired UTF-16 surrogate",
      abort: true,
    })
    .refine((value) => codePointLength(value) >= min, {
      message: `must have at least ${min} characters`,
      abort: true,
    })
    .refine((value) => codePointLength(value) <= rule.max, `must have at most ${rule.max} characters`)
    .openapi({ minLength: min, maxLength: rule.max });
}

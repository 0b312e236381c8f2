/**
 * Remote ActivityPub documents are untrusted text. PostgreSQL cannot store U+0000 in `text` or `jsonb`
 * (`unsupported Unicode escape sequence`, SQLSTATE 22P05), and the character means nothing in a post, a
 * name or a URL, so it is removed before a remote value is stored — as Mastodon does (it strips NUL
 * from incoming statuses rather than refusing them).
 */

/** `text` without U+0000 characters. */
export function stripNul(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
}

/**
 * A JSON value (object, array, string, number, boolean, null) with U+0000 removed from every string
 * and every object key, at any depth. Values without a NUL are returned as they are (same reference),
 * so the common case allocates nothing. Objects are rebuilt as plain objects.
 */
export function stripNulDeep<T>(value: T): T {
  if (typeof value === "string") return stripNul(value) as T;
  if (Array.isArray(value)) {
    let changed: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = stripNulDeep(value[i]);
      if (item !== value[i]) {
        changed ??= value.slice();
        changed[i] = item;
      }
    }
    return (changed ?? value) as T;
  }
  if (value !== null && typeof value === "object") {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const k = stripNul(key);
      const v = stripNulDeep(item);
      if (k !== key || v !== item) changed = true;
      return [k, v] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { publicationDates } from "./publication-dates.ts";

const iso = (dates: ReturnType<typeof publicationDates>) =>
  Object.fromEntries(Object.entries(dates).map(([key, value]) => [key, value.toString()]));

test("published always, updated only when later than published", () => {
  assert.deepEqual(iso(publicationDates({ created_at: "2026-11-30T10:00:00.123456Z" })), {
    published: "2026-11-30T10:00:00.123Z",
  });
  assert.deepEqual(
    iso(
      publicationDates({
        created_at: new Date("2026-11-30T10:00:00Z"),
        updated_at: "2026-11-30T11:00:00+01:00",
      }),
    ),
    { published: "2026-11-30T10:00:00Z" },
    "same instant in another zone is not an edit",
  );
  assert.deepEqual(
    iso(publicationDates({ created_at: "2026-11-30T10:00:00Z", updated_at: "2026-11-30T10:05:00Z" })),
    { published: "2026-11-30T10:00:00Z", updated: "2026-11-30T10:05:00Z" },
  );
  assert.throws(() => publicationDates({ created_at: "never" }), RangeError);
});

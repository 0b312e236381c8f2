import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanAttributes, isAnyValue } from "@opentelemetry/core";

/** Counts the WeakSets created while `work` runs (isAnyValue creates its own with `new WeakSet()`). */
function weakSetsCreatedBy(work: () => void): number {
  const original = globalThis.WeakSet;
  let created = 0;
  globalThis.WeakSet = class extends original<object> {
    constructor() {
      super();
      created++;
    }
  } as WeakSetConstructor;
  try {
    work();
  } finally {
    globalThis.WeakSet = original;
  }
  return created;
}

test("patches/@opentelemetry+core: a primitive attribute value costs no WeakSet", () => {
  assert.equal(
    weakSetsCreatedBy(() => {
      assert.equal(isAnyValue("GET /api/v1/courses"), true);
      assert.equal(isAnyValue(200), true);
      assert.equal(isAnyValue(false), true);
    }),
    0,
  );
});

test("patches/@opentelemetry+core: values that need the walk are judged as before", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  let results: boolean[] = [];
  const created = weakSetsCreatedBy(() => {
    results = [
      isAnyValue(["a", 1, true]),
      isAnyValue({ nested: { ok: "yes" } }),
      isAnyValue(null),
      isAnyValue(new Uint8Array(2)),
      isAnyValue(cyclic),
      isAnyValue(undefined),
      isAnyValue(() => 1),
      isAnyValue(10n),
      isAnyValue(new Date()),
    ];
  });
  assert.deepEqual(results, [true, true, true, true, false, false, false, false, false]);
  assert.equal(created, 9, "every non-primitive still gets its cycle guard");
});

test("patches/@opentelemetry+core: cleanAttributes keeps own values, drops undefined and applies limits, without Object.entries", () => {
  const inherited = Object.create({ inherited: "not an attribute" }) as Record<string, unknown>;
  Object.assign(inherited, {
    "db.system.name": "postgresql",
    "server.port": 5432,
    missing: undefined,
    list: [1, 2],
  });
  const entries = Object.entries;
  let calls = 0;
  Object.entries = ((value: object) => {
    calls++;
    return entries(value);
  }) as typeof Object.entries;
  try {
    assert.deepEqual(
      cleanAttributes(inherited, { attributeCountLimit: 128, attributeValueLengthLimit: Infinity }),
      {
        attributes: { "db.system.name": "postgresql", "server.port": 5432, list: [1, 2] },
        droppedAttributesCount: 0,
      },
    );
    assert.deepEqual(
      cleanAttributes(
        { a: "xyz", b: "long value", c: () => 1 },
        { attributeCountLimit: 1, attributeValueLengthLimit: 2 },
      ),
      { attributes: { a: "xy" }, droppedAttributesCount: 2 },
    );
  } finally {
    Object.entries = entries;
  }
  assert.equal(calls, 0);
});

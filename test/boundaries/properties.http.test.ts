/**
 * Property tests over every create/update operation of the served OpenAPI document (so a new route is
 * covered without editing this file): each text and number field of each JSON body gets NUL, unpaired
 * surrogates, RTL marks, emoji, 64 KiB strings, white space and numbers at the edges (0, -1, 2^31, 2^53,
 * NaN-like strings, exponents), then arbitrary strings from fast-check. Every answer is 2xx or a precise
 * 4xx (the JSON error; a 422 names the field), never 5xx; a 2xx stored exactly what the rule of
 * src/platform/db/text.ts says, read back from the response and from the resource's own GET.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { codePointLength, isStorableText, replaceUnstorable } from "../../src/platform/db/text.ts";
import type { School } from "../support/api.ts";
import type { SpawnedServer } from "../support/spawn.ts";
import {
  fetchDocument,
  type JsonSchema,
  type OpenApiDocument,
  resolve,
  serverBase,
  startBoundaryServer,
} from "./support.ts";

/** Entry points where the sender cannot correct a value: unstorable code points become U+FFFD. */
const MACHINE_FEEDS = new Set(["POST /ops/alerts"]);
/** Operations whose bearer is the operator token (ADMIN_TOKEN) rather than a tenant session. */
const OPERATOR = /^\/(tenants|ops\/)/;

const EDGE_STRINGS: [string, string][] = [
  ["NUL", "Intro\u0000Biology"],
  ["only NUL", "\u0000"],
  ["unpaired high surrogate", "Intro\ud800Biology"],
  ["unpaired low surrogate", "\udc00"],
  ["RTL marks", "\u200f\u202eשלום\u202c"],
  ["emoji", "Intro 😀 👩‍👩‍👧‍👦"],
  ["BOM", "\ufeffIntro"],
  ["64 KiB", "a".repeat(64 * 1024)],
  ["64 KiB of emoji", "😀".repeat(16 * 1024)],
  ["empty", ""],
  ["blank", " \t\n"],
  ["padded", "  Intro  "],
  ["zero", "0"],
  ["NaN", "NaN"],
  ["Infinity", "Infinity"],
  ["exponent", "1e309"],
  ["2^53+1", "9007199254740993"],
];
/** JSON number texts, sent verbatim (1e309 is beyond double range; -0 and 2^53+1 lose their form in JS). */
const EDGE_NUMBERS = [
  "0",
  "-1",
  "-0",
  "2147483648",
  "9007199254740992",
  "9007199254740993",
  "1e309",
  "0.5",
  "1e-7",
];

interface Field {
  /** Property path inside the body, e.g. ["admin", "display_name"] or ["alerts", 0, "labels", "k"]. */
  path: (string | number)[];
  schema: JsonSchema;
}

interface Operation {
  method: string;
  template: string;
  bodySchema: JsonSchema;
  /** The GET that reads the created or changed resource back, when the document has one. */
  readBack: string | undefined;
}

let server: SpawnedServer;
let school: School;
let document: OpenApiDocument;
let base: string;
let operations: Operation[];
let courseId: string;
let contentId: string;
let unique = 0;

before(async () => {
  ({ server, school } = await startBoundaryServer("properties"));
  document = await fetchDocument(server.url);
  base = serverBase(document, `${server.url}/api/v1/openapi.json`);
  const course = await school.instructor.post<{ id: string }>("/courses", {
    title: "P",
    course_type: "live",
  });
  courseId = course.body.id;
  const content = await school.instructor.post<{ id: string }>(`/courses/${courseId}/content`, {
    content_type: "lesson",
    title: "L",
    body: "B",
  });
  contentId = content.body.id;
  operations = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of ["post", "put", "patch"]) {
      const operation = item[method];
      const schema = resolve(document, operation?.requestBody?.content?.["application/json"]?.schema);
      if (!operation || !schema) continue;
      operations.push({
        method: method.toUpperCase(),
        template,
        bodySchema: schema,
        readBack: readBackPath(template, method, operation.responses),
      });
    }
  }
  assert.ok(operations.length >= 8, `${operations.length} create/update operations in the document`);
});
after(() => server?.stop());

/** A GET `/…/{id}` whose 200 answers with the same schema the operation answers with. */
function readBackPath(
  template: string,
  method: string,
  responses: Record<string, unknown>,
): string | undefined {
  const success = Object.entries(responses).find(([status]) => status.startsWith("2"))?.[1] as
    | { content?: Record<string, { schema?: JsonSchema }> }
    | undefined;
  const ref = success?.content?.["application/json"]?.schema?.$ref;
  if (!ref) return undefined;
  if (method === "patch") return template;
  return Object.entries(document.paths).find(
    ([path, item]) =>
      path.endsWith("/{id}") &&
      (item.get?.responses["200"] as { content?: Record<string, { schema?: JsonSchema }> } | undefined)
        ?.content?.["application/json"]?.schema?.$ref === ref,
  )?.[0];
}

/** A body the schema accepts (the baseline every mutation starts from). */
function validValue(schema: JsonSchema | undefined, name: string): unknown {
  const s = resolve(document, schema) ?? {};
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(s.properties ?? {})) out[key] = validValue(child, key);
    if (!s.properties && s.additionalProperties && typeof s.additionalProperties === "object") {
      out.k = validValue(s.additionalProperties, "k");
    }
    return out;
  }
  if (type === "array") return s.items ? [validValue(s.items, name)] : [];
  if (type === "integer" || type === "number") return s.minimum ?? 0;
  if (type === "boolean") return false;
  if (s.format === "email" || name === "email") return `p${++unique}@example.org`;
  if (s.format === "date-time" || /At$/.test(name)) return "2026-11-25T10:00:00Z";
  if (s.format === "uuid") return courseId;
  if (name === "version") return "4";
  if (name === "actor") return "acct:nobody@remote.invalid";
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Number.POSITIVE_INFINITY;
  const plain = `v${++unique}`.padEnd(Math.max(2, min), "x");
  if (!s.pattern || new RegExp(s.pattern, "u").test(plain)) return plain;
  // A value of the documented pattern and lengths (JSON Schema counts code points).
  const fits = (value: string) => codePointLength(value) >= min && codePointLength(value) <= max;
  return fc.sample(fc.stringMatching(new RegExp(s.pattern, "u")).filter(fits), {
    numRuns: 1,
    seed: ++unique,
  })[0];
}

/** Every string and number leaf of a body schema, nested objects, records and array items included. */
function fieldsOf(schema: JsonSchema | undefined, path: (string | number)[] = []): Field[] {
  const s = resolve(document, schema) ?? {};
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object") {
    const named = Object.entries(s.properties ?? {}).flatMap(([key, child]) =>
      fieldsOf(child, [...path, key]),
    );
    const record =
      s.additionalProperties && typeof s.additionalProperties === "object"
        ? fieldsOf(s.additionalProperties, [...path, "k"])
        : [];
    return [...named, ...record];
  }
  if (type === "array") return fieldsOf(s.items, [...path, 0]);
  if (type === "string" || type === "integer" || type === "number") return [{ path, schema: s }];
  return [];
}

function setAt(body: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null) node[key] = typeof key === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1) as string | number] = value;
  return copy;
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node as Record<string | number, unknown> | undefined)?.[key],
    value,
  );
}

function fill(template: string): string {
  return template.replace("{id}", template.startsWith("/content/") ? contentId : courseId);
}

function headers(template: string): Record<string, string> {
  const token = OPERATOR.test(template) ? "test-admin-token-0123456789" : school.admin.token;
  return { authorization: `Bearer ${token}`, "x-tenant-id": school.slug, "content-type": "application/json" };
}

/**
 * Sends the body (JSON text, so number edge cases keep their form) and checks the answer; returns a
 * description of what is wrong, or undefined.
 */
async function probe(operation: Operation, field: Field, label: string, bodyText: string, sent: unknown) {
  const key = `${operation.method} ${operation.template}`;
  const response = await fetch(`${base}${fill(operation.template)}`, {
    method: operation.method,
    headers: headers(operation.template),
    body: bodyText,
  });
  const text = await response.text();
  const where = `${key} ${field.path.join(".")} = ${label}`;
  if (response.status >= 500) return `${where} → ${response.status} ${text.slice(0, 200)}`;
  let json: { error?: { code?: string; requestId?: string; fields?: { path: string }[] } } & Record<
    string,
    unknown
  >;
  try {
    json = JSON.parse(text);
  } catch {
    return `${where} → ${response.status} not JSON: ${text.slice(0, 100)}`;
  }
  if (response.status === 404 && /No route for/.test(text)) {
    return `${where} → the document's address has no route (${response.url})`;
  }
  if (response.status >= 400) {
    if (typeof json.error?.code !== "string" || typeof json.error?.requestId !== "string") {
      return `${where} → ${response.status} without the error envelope`;
    }
    const name = String(field.path.filter((p) => typeof p === "string").at(-1));
    if (
      response.status === 422 &&
      json.error.fields &&
      !json.error.fields.some((f) => f.path.includes(name))
    ) {
      return `${where} → 422 naming ${json.error.fields.map((f) => f.path).join(",")}, not ${name}`;
    }
    return undefined;
  }
  if (typeof sent !== "string") return undefined;
  // A 2xx: what was stored must be what the rule says.
  const machineFeed = MACHINE_FEEDS.has(key);
  if (!machineFeed && !isStorableText(sent)) return `${where} → ${response.status}: unstorable text accepted`;
  const expected = machineFeed ? replaceUnstorable(sent) : sent;
  const echoed = getAt(json, field.path);
  if (echoed !== undefined && echoed !== expected) {
    return `${where} → ${response.status} stored ${JSON.stringify(String(echoed).slice(0, 40))}, expected ${JSON.stringify(expected.slice(0, 40))}`;
  }
  if (operation.readBack && typeof json.id === "string") {
    const again = await fetch(`${base}${operation.readBack.replace("{id}", json.id)}`, {
      headers: headers(operation.readBack),
    });
    const read = (await again.json()) as unknown;
    const stored = getAt(read, field.path);
    if (again.status === 200 && stored !== undefined && stored !== expected) {
      return `${where}: GET ${operation.readBack} reads ${JSON.stringify(String(stored).slice(0, 40))}`;
    }
  }
  return undefined;
}

/** A valid body with `field` replaced by the JSON text `valueText`. */
function bodyWith(operation: Operation, field: Field, valueText: string): string {
  const marker = "__EDGE_VALUE__";
  const body = setAt(validValue(operation.bodySchema, "body"), field.path, marker);
  return JSON.stringify(body).replace(JSON.stringify(marker), valueText);
}

test("edge strings and numbers into every text and number field: 2xx storing what the rule says, or a precise 4xx", async () => {
  const failures: string[] = [];
  let requests = 0;
  for (const operation of operations) {
    for (const field of fieldsOf(operation.bodySchema)) {
      for (const [label, value] of EDGE_STRINGS) {
        requests++;
        const problem = await probe(
          operation,
          field,
          label,
          bodyWith(operation, field, JSON.stringify(value)),
          value,
        );
        if (problem) failures.push(problem);
      }
      for (const number of EDGE_NUMBERS) {
        requests++;
        const problem = await probe(operation, field, number, bodyWith(operation, field, number), undefined);
        if (problem) failures.push(problem);
      }
    }
  }
  assert.ok(requests > 300, `${requests} requests`);
  assert.deepEqual(failures, [], `${failures.length} of ${requests} requests went wrong`);
});

test("arbitrary strings (any code point, any length up to 300) into every text field: never 5xx, stored per the rule", async () => {
  const targets = operations.flatMap((operation) =>
    fieldsOf(operation.bodySchema)
      .filter((field) => field.schema.type === "string")
      .map((field) => ({ operation, field })),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: targets.length - 1 }),
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.string({ unit: fc.constantFrom("\u0000", "\ud800", "\u200f", "😀", " ", "a"), maxLength: 20 }),
      ),
      async (index, value) => {
        const { operation, field } = targets[index] as (typeof targets)[number];
        const problem = await probe(
          operation,
          field,
          JSON.stringify(value).slice(0, 60),
          bodyWith(operation, field, JSON.stringify(value)),
          value,
        );
        assert.equal(problem, undefined);
      },
    ),
    { numRuns: 300 },
  );
});

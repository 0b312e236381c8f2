import assert from "node:assert/strict";
import { test } from "node:test";
import * as incubating from "@opentelemetry/semantic-conventions/incubating";
import * as ours from "../../src/platform/telemetry/attributes.ts";

test("the incubating attribute names spelled in attributes.ts are the package's", () => {
  const spelled = Object.entries(ours).filter(([name]) =>
    [
      "ATTR_DB_RESPONSE_RETURNED_ROWS",
      "ATTR_USER_ID",
      "ATTR_PROCESS_RUNTIME_NAME",
      "ATTR_PROCESS_RUNTIME_VERSION",
      "ATTR_PROCESS_RUNTIME_DESCRIPTION",
    ].includes(name),
  );
  assert.equal(spelled.length, 5);
  for (const [name, value] of spelled) {
    assert.equal(value, (incubating as Record<string, unknown>)[name], name);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ACTIVITY_JSON, acceptForFedify } from "./negotiation.ts";

test("no Accept, an empty one or only wildcards get the ActivityPub media type", () => {
  for (const accept of [null, "", "*/*", "*/*;q=0.8", "application/*", " */* , application/* ; q=0.5"]) {
    assert.equal(acceptForFedify(accept), ACTIVITY_JSON, String(accept));
  }
});

test("an Accept naming a concrete type is left for Fedify to negotiate", () => {
  for (const accept of [
    "application/json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "text/html,application/xhtml+xml,*/*;q=0.8",
    "text/html",
  ]) {
    assert.equal(acceptForFedify(accept), accept);
  }
});

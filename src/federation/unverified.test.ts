import assert from "node:assert/strict";
import { test } from "node:test";
import { isSelfDeleteOfGoneActor } from "./unverified.ts";

const x = "https://mastodon.example/users/gone";
const selfDelete = { type: "Delete", actorId: x, objectId: x };

test("a self-Delete whose key answers 404 or 410 is accepted and ignored", () => {
  assert.equal(isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", result: { status: 410 } }), true);
  assert.equal(isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", result: { status: 404 } }), true);
});

test("everything else unverifiable stays a 401", () => {
  const gone = { type: "keyFetchError", result: { status: 410 } };
  assert.equal(
    isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", result: { status: 500 } }),
    false,
  );
  assert.equal(
    isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", result: { error: new Error("down") } }),
    false,
  );
  assert.equal(isSelfDeleteOfGoneActor(selfDelete, { type: "invalidSignature" }), false);
  assert.equal(isSelfDeleteOfGoneActor({ ...selfDelete, objectId: `${x}/statuses/1` }, gone), false);
  assert.equal(isSelfDeleteOfGoneActor({ ...selfDelete, type: "Create" }, gone), false);
  assert.equal(isSelfDeleteOfGoneActor({ type: "Delete", actorId: null, objectId: null }, gone), false);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { isSelfDeleteOfGoneActor } from "./unverified.ts";

const x = "https://mastodon.example/users/gone";
const selfDelete = { type: "Delete", actorId: x, objectId: x };
const keyId = new URL(`${x}#main-key`);

test("a self-Delete whose own key answers 404 or 410 is accepted and ignored", () => {
  for (const status of [410, 404]) {
    assert.equal(
      isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", keyId, result: { status } }),
      true,
    );
  }
  const keyBelow = new URL(`${x}/main-key`);
  assert.equal(
    isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", keyId: keyBelow, result: { status: 410 } }),
    true,
    "a key document below the actor's (GoToSocial's form)",
  );
});

test("everything else unverifiable stays a 401", () => {
  const gone = { type: "keyFetchError", keyId, result: { status: 410 } };
  assert.equal(
    isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", keyId, result: { status: 500 } }),
    false,
  );
  assert.equal(
    isSelfDeleteOfGoneActor(selfDelete, {
      type: "keyFetchError",
      keyId,
      result: { error: new Error("down") },
    }),
    false,
  );
  assert.equal(isSelfDeleteOfGoneActor(selfDelete, { type: "invalidSignature", keyId }), false);
  assert.equal(isSelfDeleteOfGoneActor({ ...selfDelete, objectId: `${x}/statuses/1` }, gone), false);
  assert.equal(isSelfDeleteOfGoneActor({ ...selfDelete, type: "Create" }, gone), false);
  assert.equal(isSelfDeleteOfGoneActor({ type: "Delete", actorId: null, objectId: null }, gone), false);
});

test("a gone key that is not the actor's own cannot delete the actor", () => {
  for (const other of [
    "https://attacker.example/users/x#main-key",
    "https://mastodon.example/users/gone-too#main-key",
    "https://mastodon.example/users/other#main-key",
  ]) {
    assert.equal(
      isSelfDeleteOfGoneActor(selfDelete, {
        type: "keyFetchError",
        keyId: new URL(other),
        result: { status: 410 },
      }),
      false,
      other,
    );
  }
  assert.equal(
    isSelfDeleteOfGoneActor(selfDelete, { type: "keyFetchError", result: { status: 410 } }),
    false,
    "no key id",
  );
});

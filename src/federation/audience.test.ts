import assert from "node:assert/strict";
import { test } from "node:test";
import { addressingFor, idList, PUBLIC_COLLECTION, referenceId, visibilityOf } from "./audience.ts";

const followers = "https://school.example/ap/actors/c/followers";

test("referenceId names one reference: an IRI or an embedded object's id, nothing else", () => {
  assert.equal(referenceId("https://a.example/u/1"), "https://a.example/u/1");
  assert.equal(referenceId({ id: "https://a.example/n/1", type: "Note" }), "https://a.example/n/1");
  assert.equal(referenceId({ type: "Note" }), undefined);
  assert.equal(referenceId({ id: 7 }), undefined);
  assert.equal(referenceId(["https://a.example/u/1"]), undefined, "a list is not one reference");
  assert.equal(referenceId(null), undefined);
  assert.equal(referenceId(undefined), undefined);
});

test("idList takes strings, arrays and embedded objects", () => {
  assert.deepEqual(idList("a"), ["a"]);
  assert.deepEqual(idList(["a", { id: "b" }, 3, null]), ["a", "b"]);
  assert.deepEqual(idList(undefined), []);
});

test("visibility as Mastodon reads to/cc, strings or arrays, full or compact Public", () => {
  assert.equal(visibilityOf({ to: PUBLIC_COLLECTION, cc: followers }, [followers]), "public");
  assert.equal(visibilityOf({ to: ["as:Public"] }, [followers]), "public");
  assert.equal(visibilityOf({ to: followers, cc: "Public" }, [followers]), "unlisted");
  assert.equal(visibilityOf({ to: [followers] }, [followers]), "followers");
  assert.equal(visibilityOf({ cc: followers }, [followers]), "followers");
  assert.equal(visibilityOf({ to: "https://other.example/users/bob" }, [followers]), "direct");
  assert.equal(visibilityOf({}, [followers]), "direct");
});

test("addressingFor round-trips through visibilityOf", () => {
  for (const visibility of ["public", "unlisted", "followers"] as const) {
    assert.equal(visibilityOf(addressingFor(visibility, [followers]), [followers]), visibility);
  }
  assert.deepEqual(addressingFor("public", [followers]), { to: [PUBLIC_COLLECTION], cc: [followers] });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { mayPublish, mayRead, objectTypeOf, type Participation } from "./rules.ts";
import { CONTENT_TYPES } from "./store.ts";

const who = (role: Participation["role"], isCourseInstructor = false, isEnrolled = false): Participation => ({
  role,
  isCourseInstructor,
  isEnrolled,
});

test("admins, the course's instructor and enrolled users read a course's content; nobody else", () => {
  assert.equal(mayRead(who("admin")), true);
  assert.equal(mayRead(who("instructor", true)), true);
  assert.equal(mayRead(who("student", false, true)), true);
  assert.equal(mayRead(who("student")), false);
  assert.equal(mayRead(who("instructor")), false, "another course's instructor");
});

test("teaching material is staff-only; discussions are open to everyone taking part", () => {
  for (const type of CONTENT_TYPES) {
    assert.equal(mayPublish(who("admin"), type), true, `admin: ${type}`);
    assert.equal(mayPublish(who("instructor", true), type), true, `the course's instructor: ${type}`);
    assert.equal(mayPublish(who("student"), type), false, `not enrolled: ${type}`);
    assert.equal(mayPublish(who("instructor"), type), false, `another course's instructor: ${type}`);
    assert.equal(mayPublish(who("student", false, true), type), type === "discussion", `enrolled: ${type}`);
  }
});

test("long-form teaching material is an Article, announcements and discussions are Notes", () => {
  assert.deepEqual(Object.fromEntries(CONTENT_TYPES.map((type) => [type, objectTypeOf(type)])), {
    lesson: "Article",
    quiz: "Article",
    assignment: "Article",
    discussion: "Note",
    announcement: "Note",
    resource: "Article",
  });
});

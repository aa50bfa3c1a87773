/** The decision behind a provisional position (history.ts): could a client that saw nothing have missed a life? */
import assert from "node:assert/strict";
import { test } from "node:test";
import { continues } from "../../../services/shared/history.js";

const DAY = 86_400_000;

test("the same generation of Redis's data, less than the metadata's lifetime apart: nothing can have been missed", () => {
  assert.equal(continues("~g1@1000", "~g1@1000", DAY), true); // still nothing published
  assert.equal(continues("~g1@1000", "~g1@5000", DAY), true); // the life began after the client looked
});

test("another generation (Redis restarted empty), or a life that may have come and gone: lost", () => {
  assert.equal(continues("~g1@1000", "~g2@1000", DAY), false);
  assert.equal(continues("~g1@1000", `~g1@${1000 + DAY}`, DAY), false);
});

test("anything it cannot vouch for is lost: no position, a life of unknown birth, a real epoch, a clock gone back", () => {
  assert.equal(continues(null, "~g1@1000", DAY), false);
  assert.equal(continues("~g1@1000", undefined, DAY), false);
  assert.equal(continues("Fy8Kfjm0", "~g1@1000", DAY), false);
  assert.equal(continues("~g1@5000", "~g1@1000", DAY), false);
  assert.equal(continues("~g1@soon", "~g1@1000", DAY), false);
});

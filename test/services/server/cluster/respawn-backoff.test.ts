import assert from "node:assert/strict";
import { test } from "node:test";
import { RespawnBackoff } from "../../../../services/server/cluster/respawn-backoff.js";

test("an occasional crash respawns at once; repeated ones back off exponentially up to the cap", () => {
  const backoff = new RespawnBackoff(100, 1_000, 10_000);
  assert.deepEqual(
    Array.from({ length: 7 }, () => backoff.next()),
    [0, 100, 200, 400, 800, 1_000, 1_000],
  );
  // A worker that had been ready for the stable period: its death is an occasional one again.
  assert.equal(backoff.next(10_000), 0);
  assert.equal(backoff.failures, 1);
});

test("workers that get ready and die soon after still back off (a wrong Redis password did that at full speed)", () => {
  const backoff = new RespawnBackoff(100, 1_000, 10_000);
  assert.deepEqual(
    Array.from({ length: 5 }, () => backoff.next(50)),
    [0, 100, 200, 400, 800],
  );
  assert.equal(backoff.next(9_999), 1_000);
});

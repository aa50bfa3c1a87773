import assert from "node:assert/strict";
import { test } from "node:test";
import { RespawnBackoff } from "../../services/server/respawn-backoff.js";

test("an occasional crash respawns at once; repeated ones back off exponentially up to the cap", () => {
  const backoff = new RespawnBackoff(100, 1_000);
  assert.deepEqual(
    Array.from({ length: 7 }, () => backoff.next()),
    [0, 100, 200, 400, 800, 1_000, 1_000],
  );
  backoff.succeeded();
  assert.equal(backoff.next(), 0);
  assert.equal(backoff.failures, 1);
});

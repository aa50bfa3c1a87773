import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSyncRequest } from "../../../../services/server/delivery/sync.js";

test("a sync request names channels with a position or null", () => {
  const parsed = parseSyncRequest({ channels: { "*": { epoch: "e", offset: 4 }, "room:a": null } }, 3);
  assert.ok(parsed instanceof Map);
  assert.deepEqual(
    [...parsed],
    [
      ["*", { epoch: "e", offset: 4 }],
      ["room:a", null],
    ],
  );
});

test("a bad sync request says what is wrong", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /sync takes/],
    [{ channels: [] }, /sync takes/],
    [{ channels: { "room:bad name": null } }, /unknown channel/],
    [{ channels: { "someone-elses-socket-id": null } }, /unknown channel/],
    [{ channels: { "*": { epoch: 1, offset: 1 } } }, /position must be/],
    [{ channels: { "*": { epoch: "e", offset: 1.5 } } }, /position must be/],
    [{ channels: { "*": { epoch: "e", offset: -1 } } }, /must not be negative/],
    [{ channels: { "*": null, "room:a": null, "room:b": null, "room:c": null } }, /at most 3 channels/],
  ];
  for (const [request, message] of cases) {
    const parsed = parseSyncRequest(request, 3);
    assert.equal(typeof parsed, "string", JSON.stringify(request));
    assert.match(parsed as string, message);
  }
});

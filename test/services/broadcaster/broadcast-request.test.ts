import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBroadcastRequest } from "../../../services/broadcaster/broadcast-request.js";

test("accepts { event }, { event, data }, { event, data, room }", () => {
  assert.deepEqual(parseBroadcastRequest({ event: "news" }), { ok: true, value: { event: "news" } });
  assert.deepEqual(parseBroadcastRequest({ event: "news", data: { a: [1, 2] } }), {
    ok: true,
    value: { event: "news", data: { a: [1, 2] } },
  });
  assert.deepEqual(parseBroadcastRequest({ event: "news", data: null, room: "lobby" }), {
    ok: true,
    value: { event: "news", data: null, room: "lobby" },
  });
});

test("refuses wrong shapes with a message saying what is wrong", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /JSON object/],
    [[{ event: "x" }], /JSON object/],
    ["news", /JSON object/],
    [{}, /event must be a string/],
    [{ event: 1 }, /event must be a string/],
    [{ event: "bad name" }, /1-64 characters/],
    [{ event: "disconnect" }, /reserved/],
    [{ event: "newListener" }, /reserved/],
    [{ event: "news", room: "" }, /1-64 characters/],
    [{ event: "news", room: 5 }, /room must be a string/],
    [{ event: "news", rooms: ["a"] }, /unknown field\(s\): rooms/],
  ];
  for (const [body, message] of cases) {
    const result = parseBroadcastRequest(body);
    assert.equal(result.ok, false, JSON.stringify(body));
    if (!result.ok) assert.match(result.error, message, JSON.stringify(body));
  }
});

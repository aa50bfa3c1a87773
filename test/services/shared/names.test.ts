import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chatTextError,
  eventNameError,
  RESERVED_EVENTS,
  roomKey,
  roomNameError,
  roomOfKey,
} from "../../../services/shared/names.js";

test("room names: 1-64 characters of [A-Za-z0-9_:.-]", () => {
  for (const ok of ["a", "lobby", "team:42", "a.b-c_d", "x".repeat(64)]) assert.equal(roomNameError(ok), undefined, ok);
  for (const bad of ["", "x".repeat(65), "has space", "emoji🙂", "slash/", "semi;colon", "#hash"]) {
    assert.match(roomNameError(bad) ?? "", /1-64 characters/, JSON.stringify(bad));
  }
  for (const bad of [undefined, null, 42, {}, ["lobby"]]) assert.equal(roomNameError(bad), "room must be a string");
});

test("user rooms never collide with a socket's own room", () => {
  // Socket ids are 20 characters of [A-Za-z0-9_-] and pass the name rule; the prefix keeps them apart.
  assert.equal(roomKey("AbCdEfGhIjKlMnOpQrSt"), "room:AbCdEfGhIjKlMnOpQrSt");
});

test("event names: the room rule, minus Socket.IO's reserved names", () => {
  assert.equal(eventNameError("news"), undefined);
  assert.equal(eventNameError("tick"), undefined);
  assert.equal(RESERVED_EVENTS.size, 6);
  for (const reserved of RESERVED_EVENTS) assert.match(eventNameError(reserved) ?? "", /reserved/, reserved);
  assert.match(eventNameError("") ?? "", /1-64/);
  assert.match(eventNameError(7) ?? "", /must be a string/);
});

test("chat text: a non-empty string of at most 1000 characters", () => {
  assert.equal(chatTextError("hi"), undefined);
  assert.equal(chatTextError("x".repeat(1000)), undefined);
  assert.match(chatTextError("x".repeat(1001)) ?? "", /at most 1000/);
  assert.match(chatTextError("") ?? "", /empty/);
  assert.match(chatTextError({ text: "hi" }) ?? "", /string/);
});

test("roomOfKey undoes roomKey, and names no room for anything else", () => {
  assert.equal(roomOfKey(roomKey("lobby")), "lobby");
  for (const key of ["lobby", "room:", "room:bad name", "AbCdEfGhIjKlMnOpQrSt"])
    assert.equal(roomOfKey(key), undefined, key);
});

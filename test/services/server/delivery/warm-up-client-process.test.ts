/**
 * How the warm-up's client process (services/server/delivery/warm-up-client-process.ts) reads a broadcast's
 * index from a frame, in both wire formats. The process itself runs in warm-up.test.ts, through real servers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import msgpackParser from "socket.io-msgpack-parser";
import { broadcastIndex } from "../../../../services/server/delivery/warm-up-client-process.js";
import { WARM_UP_NAMESPACE } from "../../../../services/server/delivery/warm-up.js";

/** A packet as the msgpack parser frames it (its types say ArrayBuffer; it returns [Buffer]). */
function msgpack(packet: { type: number; nsp: string; data?: unknown }): Buffer {
  return (new msgpackParser.Encoder().encode(packet) as unknown as Buffer[])[0]!;
}

describe("broadcastIndex: which warm-up broadcast a frame carries", () => {
  test("an event in the default format (Engine.IO message, Socket.IO EVENT, namespace, JSON)", () => {
    assert.equal(broadcastIndex(Buffer.from(`42${WARM_UP_NAMESPACE},["warm-up",7]`), false), 7);
    assert.equal(broadcastIndex(Buffer.from(`42${WARM_UP_NAMESPACE},["warm-up",0]`), false), 0);
  });

  test("an event in the msgpack format (a binary frame)", () => {
    const frame = msgpack({ type: 2, nsp: WARM_UP_NAMESPACE, data: ["warm-up", 12] });
    assert.equal(broadcastIndex(frame, true), 12);
  });

  test("anything else is -1, never a throw", () => {
    const others: Array<[Buffer, boolean]> = [
      [Buffer.from(`40${WARM_UP_NAMESPACE},{"sid":"abc"}`), false], // CONNECT's answer
      [Buffer.from("3"), false], // an Engine.IO pong
      [Buffer.from(`42${WARM_UP_NAMESPACE},["warm-up","7"]`), false], // not an integer
      [Buffer.from(`42${WARM_UP_NAMESPACE},["warm-up"`), false], // cut short
      [msgpack({ type: 0, nsp: WARM_UP_NAMESPACE, data: { sid: "abc" } }), true],
      [Buffer.from([0xc1, 0xff, 0x00]), true], // not msgpack
    ];
    for (const [frame, isBinary] of others) assert.equal(broadcastIndex(frame, isBinary), -1, frame.toString("hex"));
  });
});

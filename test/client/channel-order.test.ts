/** The client library's ordering per channel: exactly once, in order, gaps held and reported, losses said. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ChannelOrder } from "../../client/channel-order.js";

function harness() {
  const delivered: string[] = [];
  const gaps: string[] = [];
  const lost: Array<[string, string]> = [];
  const order = new ChannelOrder({ gap: (c) => gaps.push(c), lost: (c, r) => lost.push([c, r]) });
  const receive = (channel: string, epoch: string, offset: number) =>
    order.receive({ channel, epoch, offset }, () => delivered.push(`${channel}:${epoch}:${offset}`));
  return { order, delivered, gaps, lost, receive };
}

test("in order, once: duplicates dropped, early ones held until the gap is filled", () => {
  const { order, delivered, gaps, receive } = harness();
  order.track("*", { epoch: "e", offset: 3 });
  receive("*", "e", 4);
  receive("*", "e", 4); // already had it
  receive("*", "e", 3); // older than what was handed over
  receive("*", "e", 6); // early: 5 is missing
  assert.deepEqual(delivered, ["*:e:4"]);
  assert.deepEqual(gaps, ["*"]);
  receive("*", "e", 5);
  receive("*", "e", 5);
  assert.deepEqual(delivered, ["*:e:4", "*:e:5", "*:e:6"]);
});

test("during a sync everything is held; the replay and live messages come out in order at its answer", () => {
  const { order, delivered, receive } = harness();
  order.track("room:a", { epoch: "e", offset: 10 });
  order.syncing(["room:a"]);
  receive("room:a", "e", 13); // live, ahead of the replay
  receive("room:a", "e", 11); // replay
  receive("room:a", "e", 12);
  assert.deepEqual(delivered, []);
  order.synced("room:a", { recovered: true, replayed: 2, epoch: "e", offset: 12 });
  assert.deepEqual(delivered, ["room:a:e:11", "room:a:e:12", "room:a:e:13"]);
});

test("the first sync tells an unknown position; what arrived live meanwhile is handed over, even if counted in it", () => {
  const { order, delivered, receive } = harness();
  order.track("*");
  order.syncing(["*"]);
  // Live on this socket: published after it connected, so new to the application, though the answer (read
  // after the connection) already counts 7.
  receive("*", "e", 7);
  receive("*", "e", 8);
  order.synced("*", { recovered: true, replayed: 0, epoch: "e", offset: 7 });
  assert.deepEqual(delivered, ["*:e:7", "*:e:8"]);
  assert.deepEqual(order.positions(), { "*": { epoch: "e", offset: 8 } });
});

test("a message counted in the first sync's answer but arriving after it is handed over, once, in order", () => {
  const { order, delivered, receive } = harness();
  order.track("*");
  order.syncing(["*"]);
  order.synced("*", { recovered: true, replayed: 0, epoch: "e", offset: 2 });
  receive("*", "e", 1); // published after the connection, read into the answer, still on its way
  receive("*", "e", 2);
  receive("*", "e", 2);
  receive("*", "e", 3);
  receive("*", "e", 1);
  assert.deepEqual(delivered, ["*:e:1", "*:e:2", "*:e:3"]);
  assert.deepEqual(order.positions(), { "*": { epoch: "e", offset: 3 } });
});

test("a join's position counts a message still on its way to the socket: handed over when it arrives", () => {
  const { order, delivered, receive } = harness();
  order.track("room:a", { epoch: "e", offset: 5 }); // read after joining: 5 was published in between
  receive("room:a", "e", 5);
  receive("room:a", "e", 6);
  receive("room:a", "e", 5);
  assert.deepEqual(delivered, ["room:a:e:5", "room:a:e:6"]);
});

test("not recovered: the loss is said, nothing from before the new position is handed over", () => {
  const { order, delivered, lost, receive } = harness();
  order.track("*", { epoch: "e", offset: 5 });
  order.syncing(["*"]);
  receive("*", "e", 40); // kept part of a gap that is too long: never handed over as if it were all of it
  receive("*", "e", 51); // live, after the server's position
  order.synced("*", { recovered: false, reason: "gap longer than the history kept", epoch: "e", offset: 50 });
  assert.deepEqual(lost, [["*", "gap longer than the history kept"]]);
  assert.deepEqual(delivered, ["*:e:51"]);
});

test("a new epoch on a live message: the loss is said, then the new epoch is followed from its start", () => {
  const { order, delivered, lost, gaps, receive } = harness();
  order.track("*", { epoch: "old", offset: 9 });
  receive("*", "new", 3);
  assert.deepEqual(lost, [["*", "history lost: the channel started a new epoch"]]);
  assert.deepEqual(gaps, ["*"], "asks for the start of the new epoch");
  order.syncing(["*"]);
  receive("*", "new", 1);
  receive("*", "new", 2);
  order.synced("*", { recovered: true, replayed: 2, epoch: "new", offset: 2 });
  assert.deepEqual(delivered, ["*:new:1", "*:new:2", "*:new:3"]);
});

test("a new epoch found by a resume: the loss is said, and the new epoch, replayed from its start, is handed over", () => {
  const { order, delivered, lost, receive } = harness();
  order.track("*", { epoch: "old", offset: 9 });
  order.syncing(["*"]);
  receive("*", "new", 2); // live, before the replay
  receive("*", "new", 1); // the replay: the new epoch from its start (sync.ts)
  receive("*", "new", 2);
  order.synced("*", {
    recovered: false,
    reason: "history lost: the channel started a new epoch",
    epoch: "new",
    offset: 0,
  });
  assert.deepEqual(lost, [["*", "history lost: the channel started a new epoch"]]);
  assert.deepEqual(delivered, ["*:new:1", "*:new:2"]);
});

test("a room with no history yet (epoch null) takes the epoch of its first message", () => {
  const { order, delivered, receive } = harness();
  order.track("room:new", { epoch: null, offset: 0 });
  receive("room:new", "e", 1);
  assert.deepEqual(delivered, ["room:new:e:1"]);
});

test("provisional (seen nothing yet): a message later than a life's first waits, and the server decides", () => {
  const { order, delivered, gaps, lost, receive } = harness();
  order.track("room:a", { epoch: "~g1@1000", offset: 0 });
  receive("room:a", "e", 3);
  assert.deepEqual(delivered, []);
  assert.deepEqual(gaps, ["room:a"]);
  // The sync goes out with the provisional epoch, so the server can tell whether a whole life was missed.
  assert.deepEqual(order.positions(), { "room:a": { epoch: "~g1@1000", offset: 0 } });
  order.syncing(["room:a"]);
  receive("room:a", "e", 1); // replay
  receive("room:a", "e", 2);
  order.synced("room:a", { recovered: true, replayed: 2, epoch: "e", offset: 2 });
  assert.deepEqual(delivered, ["room:a:e:1", "room:a:e:2", "room:a:e:3"]);
  assert.deepEqual(lost, []);
  assert.deepEqual(order.positions(), { "room:a": { epoch: "e", offset: 3 } });
});

test("provisional, told a life was lost: the loss is said, the new life's first message (held meanwhile) handed over", () => {
  const { order, delivered, lost, receive } = harness();
  order.track("room:a", { epoch: "~g1@1000", offset: 0 });
  order.syncing(["room:a"]);
  receive("room:a", "e2", 1); // live, after the server read "nothing yet" in Redis's new generation
  const reason = "history lost: Redis lost its data, or the channel stayed idle too long";
  order.synced("room:a", { recovered: false, reason, epoch: "~g2@5000", offset: 0 });
  assert.deepEqual(lost, [["room:a", reason]]);
  assert.deepEqual(delivered, ["room:a:e2:1"]);
  assert.deepEqual(order.positions(), { "room:a": { epoch: "e2", offset: 1 } });
});

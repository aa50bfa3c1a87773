/**
 * The client library on a real server: an in-process Socket.IO server on the Redis adapter and the history, a
 * real redis-server, the library's `connect()`. The server reaches Redis through a relay that can hold a
 * request, so a message can be published exactly while the first `sync` is being answered.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect, type ResumableSocket } from "../../client/resumable-socket.js";
import type { ResumablePublisher } from "../../services/shared/resumable-publisher.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startRedisRelay, type RedisRelay } from "../helpers/redis-relay.js";
import {
  startPublisher,
  startSocketNode,
  waitForSubscribers,
  type SocketNode,
  type TestPublisher,
} from "../helpers/socket-node.js";
import { DEFAULT_TIMEOUT_MS, waitFor, within } from "../helpers/wait.js";

describe("the client library against a server whose first sync is slow", () => {
  let redis: TestRedis;
  let relay: RedisRelay;
  let node: SocketNode;
  let emitter: TestPublisher | undefined;
  let publisher: ResumablePublisher;
  const sockets: ResumableSocket[] = [];

  before(async () => {
    redis = await startRedis();
    relay = await startRedisRelay(redis.url);
    node = await startSocketNode(relay.url, "slow-sync");
    await within(waitForSubscribers(redis.url, 1), DEFAULT_TIMEOUT_MS, "the adapter subscribed");
    emitter = await startPublisher(redis.url);
    publisher = emitter.publisher;
  });
  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await node?.close();
    await emitter?.close();
    await relay?.close();
    await redis?.stop();
  });

  test("a message published while the first sync is answered is handed over, though the answer counts it", async () => {
    // The first sync reads the channel's position from Redis after the socket connected; hold that read.
    const read = relay.holdRequest("socket.io:history:*:meta");
    const socket = connect(node.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    sockets.push(socket);
    const got: number[] = [];
    socket.on("n" as never, (n: number) => void got.push(n));
    await waitFor(socket, "connect", { what: "the connection" });
    await within(read.held, DEFAULT_TIMEOUT_MS, "the first sync's read held on its way to Redis");

    // Published after the connection, before the position is read: live on the socket, and counted in the answer.
    const first = waitFor<number>(socket, "n", { what: "message 1, published while the sync was answered" });
    await publisher.emit(undefined, "n", 1);
    read.release();
    assert.equal(await first, 1);

    const second = waitFor<number>(socket, "n", { what: "message 2" });
    await publisher.emit(undefined, "n", 2);
    await second;
    assert.deepEqual(got, [1, 2]);
    assert.deepEqual(socket.positions()["*"]?.offset, 2);
  });
});

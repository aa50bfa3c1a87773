/**
 * Several Socket.IO servers in this process, each on the Redis adapter of one real redis-server, plus the
 * broadcaster's emitter: what a deployment does across replicas, without cluster or nginx in the way.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Identity, Tick } from "../../../../services/shared/events.js";
import type { ResumablePublisher } from "../../../../services/shared/resumable-publisher.js";
import { roomKey } from "../../../../services/shared/names.js";
import { closeAll, connectClient, request, type TestSocket } from "../../../helpers/clients.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";
import {
  startPublisher,
  startSocketNode,
  waitForSubscribers,
  type SocketNode,
  type TestPublisher,
} from "../../../helpers/socket-node.js";
import { countdown, times, waitFor, within } from "../../../helpers/wait.js";

const SERVERS = 3;
const CLIENTS_PER_SERVER = 4;
const BARRIER = 1_000_000;

describe("servers on the Redis adapter, with the emitter", () => {
  let redis: TestRedis;
  let nodes: SocketNode[] = [];
  let clients: Array<{ socket: TestSocket; hello: Identity }> = [];
  let emitter: TestPublisher | undefined;
  let publisher: ResumablePublisher;

  before(async () => {
    redis = await startRedis();
    nodes = await times(SERVERS, (i) => startSocketNode(redis.url, `server-${i + 1}`));
    // Wait until every adapter's subscriptions exist, so no broadcast below can be published too early.
    await within(waitForSubscribers(redis.url, SERVERS), 10_000, "all adapters subscribed");
    clients = await times(SERVERS * CLIENTS_PER_SERVER, (i) => connectClient(nodes[i % SERVERS]!.url));
    emitter = await startPublisher(redis.url);
    publisher = emitter.publisher;
  });

  after(async () => {
    closeAll(clients.map((c) => c.socket));
    for (const node of nodes) await node.close();
    await emitter?.close();
    await redis?.stop();
  });

  test("each client says hello with the identity of the server it reached", () => {
    for (const [i, { hello }] of clients.entries()) assert.equal(hello.replica, `server-${(i % SERVERS) + 1}`);
  });

  test("an io.emit on one server reaches every client of every server exactly once", async () => {
    const received = new Map<TestSocket, number[]>();
    const barrier = countdown(clients.length, "barrier tick on every client");
    for (const { socket } of clients) {
      received.set(socket, []);
      socket.on("tick", (tick: Tick) => {
        received.get(socket)!.push(tick.seq);
        if (tick.seq === BARRIER) barrier.add();
      });
    }
    nodes[0]!.io.emit("tick", { seq: 1, at: Date.now() });
    // Sent after it along the same path: once it arrived everywhere, so has any duplicate of the first.
    nodes[0]!.io.emit("tick", { seq: BARRIER, at: Date.now() });
    await barrier.done;
    for (const { socket } of clients) {
      assert.deepEqual(received.get(socket), [1, BARRIER]);
      socket.off("tick");
    }
  });

  test("the broadcaster's publisher (the emitter, through the history) reaches every client once, in order", async () => {
    const seqs = new Map<TestSocket, number[]>();
    const barrier = countdown(clients.length, "barrier tick on every client");
    for (const { socket } of clients) {
      seqs.set(socket, []);
      socket.on("tick", (tick: Tick) => {
        seqs.get(socket)!.push(tick.seq);
        if (tick.seq === BARRIER) barrier.add();
      });
    }
    for (let seq = 1; seq <= 20; seq++) await publisher.emit(undefined, "tick", { seq, at: Date.now() });
    await publisher.emit(undefined, "tick", { seq: BARRIER, at: Date.now() });
    await barrier.done;
    const expected = [...Array.from({ length: 20 }, (_, i) => i + 1), BARRIER];
    for (const { socket } of clients) {
      assert.deepEqual(seqs.get(socket), expected);
      socket.off("tick");
    }
  });

  test("rooms span servers: room broadcasts and chat reach members only, the sender included", async () => {
    const [a, b, c, outsider] = clients.map((client) => client.socket);
    assert.ok(a && b && c && outsider);
    for (const member of [a, b, c]) assert.equal((await request(member, "join", "team")).ok, true);

    // The sender gets its own message too, in the room's order (what a resuming client needs).
    const toRoom = [a, b, c].map((s) => waitFor<{ text: string; from: string }>(s, "chat", { what: "chat in team" }));
    let outsiderGotChat = false;
    outsider.on("chat", () => (outsiderGotChat = true));
    assert.deepEqual(await request(a, "chat", { room: "team", text: "hello team" }), { ok: true });
    for (const message of await Promise.all(toRoom)) {
      assert.deepEqual(message, { room: "team", text: "hello team", from: a.id });
    }

    const news = [a, b, c].map((s) => waitFor(s, "tick", { what: "room broadcast" }));
    let outsiderGotTick = false;
    outsider.on("tick", () => (outsiderGotTick = true));
    await publisher.emit(roomKey("team"), "tick", { seq: 99, at: Date.now() });
    await Promise.all(news);
    await request(outsider, "whoami");
    assert.equal(outsiderGotChat, false, "a non-member received chat");
    assert.equal(outsiderGotTick, false, "a non-member received a room broadcast");
    for (const s of [a, b, c, outsider]) s.off("tick").off("chat");
    for (const member of [a, b, c]) await request(member, "leave", "team");
  });

  test("fetchSockets sees every socket on every server, with its data", async () => {
    const sockets = await nodes[0]!.io.fetchSockets();
    assert.equal(sockets.length, clients.length);
    const perServer = new Map<string, number>();
    for (const socket of sockets)
      perServer.set(socket.data.identity.replica, (perServer.get(socket.data.identity.replica) ?? 0) + 1);
    assert.deepEqual([...perServer.values()], Array(SERVERS).fill(CLIENTS_PER_SERVER));
  });

  test("serverSideEmit with an ack hears back from every other server", async () => {
    const identities = await nodes[0]!.io.serverSideEmitWithAck("identify");
    assert.deepEqual(identities.map((identity) => identity.replica).sort(), ["server-2", "server-3"]);
  });
});

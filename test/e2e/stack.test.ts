/**
 * The whole topology from `startStack()`: nginx (ip_hash) -> 2 replicas x 2 workers -> Redis, with the
 * broadcaster publishing. Clients bind distinct 127.N.0.1 source addresses so that ip_hash, which hashes
 * the first three octets, can tell them apart.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Identity, Tick } from "../../services/shared/events.js";
import { startStack, type Stack } from "../../scripts/stack.js";
import { closeAll, connectClient, request, type TestSocket, type Transport } from "../helpers/clients.js";
import { isAlive, processTree } from "../helpers/procfs.js";
import { countdown, times, waitFor } from "../helpers/wait.js";

/** 127.N.0.1 for N = 1..count: ip_hash sees `count` different clients. */
const sourceAddresses = (count: number, offset = 0) =>
  Array.from({ length: count }, (_, i) => `127.${offset + i + 1}.0.1`);

describe("local stack: nginx -> 2 replicas x 2 workers -> Redis, with the broadcaster", () => {
  let stack: Stack;
  let clients: Array<{ socket: TestSocket; hello: Identity; transport: Transport }> = [];

  const broadcast = async (body: object) => {
    const res = await fetch(`${stack.broadcaster}/broadcast`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 202, await res.text());
  };

  before(async () => {
    stack = await startStack({ replicas: 2, workers: 2, tickIntervalMs: 200, logLevel: "warn" });
    // 24 clients on 12 addresses, half polling-only, half websocket-only.
    clients = await times(24, async (i) => {
      const transport: Transport = i % 2 === 0 ? "polling" : "websocket";
      const { socket, hello } = await connectClient(stack.url, {
        transport,
        localAddress: sourceAddresses(12)[i % 12],
      });
      return { socket, hello, transport };
    });
  });

  after(async () => {
    closeAll(clients.map((c) => c.socket));
    await stack?.stop();
  });

  test("distinct source addresses reach both replicas, and both workers of each", () => {
    const replicas = new Set(clients.map((c) => c.hello.replica));
    assert.deepEqual([...replicas].sort(), ["replica-1", "replica-2"]);
    const workers = new Set(clients.map((c) => `${c.hello.replica}/${c.hello.worker}`));
    assert.equal(workers.size, 4, `reached only ${[...workers].join(", ")}`);
  });

  test("one source address always lands on the same replica (ip_hash)", async () => {
    const again = await times(6, () => connectClient(stack.url, { transport: "websocket", localAddress: "127.1.0.1" }));
    closeAll(again.map((c) => c.socket));
    const first = clients[0]; // connected from 127.1.0.1 too
    assert.ok(first);
    assert.deepEqual(new Set(again.map((c) => c.hello.replica)), new Set([first.hello.replica]));
  });

  test("polling-only clients keep their worker across 30 acked round trips each (no 'Session ID unknown')", async () => {
    const polling = clients.filter((c) => c.transport === "polling");
    const problems: string[] = [];
    for (const { socket } of polling) {
      socket.on("connect_error", (err) => problems.push(`connect_error: ${err.message}`));
      socket.on("disconnect", (reason) => problems.push(`disconnect: ${reason}`));
    }
    await Promise.all(
      polling.map(async ({ socket, hello }) => {
        for (let i = 0; i < 30; i++) assert.deepEqual(await request<Identity>(socket, "whoami"), hello);
      }),
    );
    for (const { socket } of polling) socket.off("connect_error").off("disconnect");
    assert.deepEqual(problems, []);
    for (const { socket } of polling) assert.equal(socket.io.engine.transport.name, "polling");
  });

  test("every broadcaster message reaches every client exactly once, in order", async () => {
    const COUNT = 30;
    const received = new Map<TestSocket, number[]>();
    const done = countdown(clients.length, "the last message on every client", 20_000);
    for (const { socket } of clients) {
      received.set(socket, []);
      socket.on("seq" as never, (n: number) => {
        received.get(socket)!.push(n);
        if (n === COUNT + 1) done.add();
      });
    }
    for (let n = 1; n <= COUNT; n++) await broadcast({ event: "seq", data: n });
    // One more, published after the others from the same connection: a barrier for late duplicates.
    await broadcast({ event: "seq", data: COUNT + 1 });
    await done.done;
    const expected = Array.from({ length: COUNT + 1 }, (_, i) => i + 1);
    for (const { socket, hello, transport } of clients) {
      assert.deepEqual(received.get(socket), expected, `${transport} client on ${hello.replica}/${hello.worker}`);
      socket.off("seq" as never);
    }
  });

  test("ticks arrive on every client once each, consecutively", async () => {
    const ticks = new Map<TestSocket, number[]>();
    const done = countdown(clients.length, "5 ticks on every client", 20_000);
    for (const { socket } of clients) {
      ticks.set(socket, []);
      socket.on("tick", (tick: Tick) => {
        const seqs = ticks.get(socket)!;
        seqs.push(tick.seq);
        if (seqs.length === 5) done.add();
      });
    }
    await done.done;
    for (const { socket } of clients) {
      socket.off("tick");
      const seqs = ticks.get(socket)!.slice(0, 5);
      assert.deepEqual(
        seqs,
        Array.from({ length: 5 }, (_, i) => seqs[0]! + i),
        `ticks ${seqs.join(",")}`,
      );
    }
  });

  test("chat crosses replicas and stays inside its room", async () => {
    const a = clients.find((c) => c.hello.replica === "replica-1");
    const b = clients.find((c) => c.hello.replica === "replica-2");
    const outsiders = clients.filter((c) => c !== a && c !== b);
    assert.ok(a && b);
    for (const member of [a, b]) assert.deepEqual(await request(member.socket, "join", "e2e"), { ok: true });
    let leaked = 0;
    for (const { socket } of outsiders) socket.on("chat", () => leaked++);
    const toB = waitFor(b.socket, "chat", { what: "chat on the other replica" });
    assert.deepEqual(await request(a.socket, "chat", { room: "e2e", text: "across" }), { ok: true });
    assert.deepEqual(await toB, { room: "e2e", text: "across", from: a.socket.id });
    // Barrier: a broadcast to everyone, published after the chat, has reached every outsider.
    const barrier = countdown(outsiders.length, "barrier");
    for (const { socket } of outsiders) socket.once("barrier" as never, () => barrier.add());
    await broadcast({ event: "barrier" });
    await barrier.done;
    assert.equal(leaked, 0, "a non-member received room chat");
    for (const { socket } of outsiders) socket.off("chat");
  });

  test("the demo page is served through nginx", async () => {
    const res = await fetch(stack.url);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Socket\.IO cluster demo/);
  });

  test("stop() leaves no process behind", async () => {
    const { redis, replicas, broadcaster, nginx } = stack.processes;
    const roots = [redis, ...replicas, broadcaster, nginx].map((p) => p.child.pid!);
    const tree = processTree(roots);
    // Both workers of both replicas are in the tree (their pids came in hello).
    for (const { hello } of clients)
      assert.ok(tree.includes(hello.pid), `worker ${hello.pid} not found under the stack`);
    closeAll(clients.map((c) => c.socket));
    await stack.stop();
    const left = tree.filter(isAlive);
    assert.deepEqual(left, [], `still running: ${left.join(", ")}`);
  });
});

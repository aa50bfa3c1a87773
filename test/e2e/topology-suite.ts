/**
 * The end-to-end checks of the whole topology (nginx -> replicas x workers -> Redis, broadcaster), shared
 * by the local stack (test/e2e/stack.test.ts) and Compose (test/compose/compose.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Identity, Tick } from "../../services/shared/events.js";
import { closeAll, connectClient, request, type TestSocket, type Transport } from "../helpers/clients.js";
import { countdown, times, waitFor } from "../helpers/wait.js";

/** One way in: nginx from some source address, or (Compose) a replica's own test-only port. */
export interface Entry {
  url: string;
  localAddress?: string;
}

export interface Topology {
  /** nginx. */
  url: string;
  broadcaster: string;
  token: string;
  /** Where clients connect; together they must reach every replica. */
  entries: Entry[];
  replicas: number;
  workersPerReplica: number;
}

export interface Client {
  socket: TestSocket;
  hello: Identity;
  transport: Transport;
  entry: Entry;
}

/** Registers the shared tests; `clients()` gives later tests of the same file the connected clients. */
export function topologySuite(topology: () => Topology, clientCount = 24): { clients: () => Client[] } {
  let clients: Client[] = [];
  let target: Topology;

  const broadcast = async (body: object) => {
    const res = await fetch(`${target.broadcaster}/broadcast`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 202, await res.text());
  };

  before(async () => {
    target = topology();
    // Half polling-only, half websocket-only, spread over the entries.
    clients = await times(clientCount, async (i) => {
      const transport: Transport = i % 2 === 0 ? "polling" : "websocket";
      const entry = target.entries[Math.floor(i / 2) % target.entries.length]!;
      const { socket, hello } = await connectClient(entry.url, {
        transport,
        ...(entry.localAddress ? { localAddress: entry.localAddress } : {}),
      });
      return { socket, hello, transport, entry };
    });
  });

  after(() => closeAll(clients.map((c) => c.socket)));

  test("clients reach every replica, and every worker of each", () => {
    const replicas = new Set(clients.map((c) => c.hello.replica));
    assert.equal(replicas.size, target.replicas, `reached only ${[...replicas].join(", ")}`);
    const workers = new Set(clients.map((c) => `${c.hello.replica}/${c.hello.worker}`));
    assert.equal(workers.size, target.replicas * target.workersPerReplica, `reached only ${[...workers].join(", ")}`);
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
    const done = countdown(clients.length, "3 ticks on every client", 20_000);
    for (const { socket } of clients) {
      ticks.set(socket, []);
      socket.on("tick", (tick: Tick) => {
        const seqs = ticks.get(socket)!;
        seqs.push(tick.seq);
        if (seqs.length === 3) done.add();
      });
    }
    await done.done;
    for (const { socket } of clients) {
      socket.off("tick");
      const seqs = ticks.get(socket)!.slice(0, 3);
      assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2], `ticks ${seqs.join(",")}`);
    }
  });

  test("chat crosses replicas and stays inside its room", async () => {
    const a = clients[0]!;
    const b = clients.find((c) => c.hello.replica !== a.hello.replica);
    assert.ok(b, "no client on a second replica");
    const outsiders = clients.filter((c) => c !== a && c !== b);
    for (const member of [a, b]) assert.equal((await request(member.socket, "join", "e2e")).ok, true);
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
    for (const member of [a, b]) await request(member.socket, "leave", "e2e");
  });

  test("nginx serves the demo page and its own /healthz", async () => {
    const page = await fetch(target.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Socket\.IO cluster demo/);
    const health = await fetch(`${target.url}/healthz`);
    assert.equal(((await health.json()) as { ok: boolean }).ok, true);
    assert.doesNotMatch(health.headers.get("server") ?? "", /\d/, "nginx shows its version");
  });

  test("the broadcaster API refuses a request without the token", async () => {
    const res = await fetch(`${target.broadcaster}/broadcast`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"event":"news"}',
    });
    assert.equal(res.status, 401);
  });

  return { clients: () => clients };
}

/**
 * The shared checks on a deployment in containers (test/compose, test/swarm), 32 clients: through nginx, where
 * every client of this machine arrives from one gateway address (and so reaches one replica), and through each
 * replica's test-only port, which together reach every replica and both workers of each.
 */
export function deploymentSuite(
  target: () => Pick<Topology, "url" | "broadcaster" | "token" | "replicas">,
  replicaUrls: () => string[],
): { clients: () => Client[] } {
  return topologySuite(() => {
    const { url, broadcaster, token, replicas } = target();
    return {
      url,
      broadcaster,
      token,
      entries: [{ url }, ...replicaUrls().map((replica) => ({ url: replica }))],
      replicas,
      workersPerReplica: 2,
    };
  }, 32);
}

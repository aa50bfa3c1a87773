/**
 * The warm-up a worker runs before it takes clients (services/server/delivery/warm-up.ts), on in-process
 * servers: through a real redis-server and the Redis adapter, and without Redis. Its speed is the benchmark's
 * business (docs/benchmark.md); here, that it reaches its own sockets only, leaves nothing behind, and does not
 * disturb another worker warming up at the same time.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import type { Namespace } from "socket.io";
import { channels, type Delivered } from "../../../../services/shared/instrumentation.js";
import { closeRedis, createRedisClient } from "../../../../services/shared/redis.js";
import { createSocketServer } from "../../../../services/server/app/socket-server.js";
import { WARM_UP_NAMESPACE, warmUp, type WarmUpDeps } from "../../../../services/server/delivery/warm-up.js";
import { closeAll, connectClient, createClient, type TestSocket } from "../../../helpers/clients.js";
import { processTree } from "../../../helpers/procfs.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";
import {
  startSocketNode,
  testLog,
  TEST_SOCKET_OPTIONS,
  waitForSubscribers,
  type SocketNode,
} from "../../../helpers/socket-node.js";
import { countdown, waitFor, within } from "../../../helpers/wait.js";

const BARRIER = 1_000_000;

function deps(node: SocketNode): WarmUpDeps {
  return {
    io: node.io,
    httpServer: node.http,
    log: testLog,
    redis: { client: node.adapter.redis!, key: "socket.io", isReady: () => node.adapter.readiness().ready },
  };
}

for (const parser of ["default", "msgpack"] as const) {
  describe(`the warm-up through Redis (${parser} parser)`, () => {
    let redis: TestRedis;
    let nodes: SocketNode[] = [];
    let clients: TestSocket[] = [];

    before(async () => {
      redis = await startRedis();
      nodes = [
        await startSocketNode(redis.url, "server-1", { parser }),
        await startSocketNode(redis.url, "server-2", { parser }),
      ];
      await within(waitForSubscribers(redis.url, nodes.length), 10_000, "both adapters subscribed");
      clients = await Promise.all(
        nodes.map(async (node) => (await connectClient(node.url, { parser, transport: "websocket" })).socket),
      );
    });

    after(async () => {
      closeAll(clients);
      for (const node of nodes) await node.close();
      await redis?.stop();
    });

    test("every broadcast reaches every warm-up socket, and nothing is left behind", async () => {
      const [node] = nodes;
      const connections: string[] = [];
      const onConnection = (socket: { id: string }) => connections.push(socket.id);
      node!.io.on("connection", onConnection);
      const deliveries: Delivered[] = [];
      const stop = channels.delivered.subscribe((d) => deliveries.push(d));
      try {
        const result = await warmUp({ sockets: 30, broadcasts: 5, parser }, deps(node!));
        assert.deepEqual({ ...result, ms: 0, port: 0 }, { ms: 0, sockets: 30, broadcasts: 5, path: "redis", port: 0 });
      } finally {
        stop();
        node!.io.off("connection", onConnection);
      }
      // The application never saw the warm-up's sockets, nor counted its broadcasts as deliveries.
      assert.deepEqual(connections, []);
      assert.deepEqual(deliveries, []);
      assert.equal(node!.io._nsps.has(WARM_UP_NAMESPACE), false);
      // Its Engine.IO connections are closed by the time it resolves: only the real client is left.
      assert.equal(node!.io.engine.clientsCount, 1);
    });

    test("the real clients of every server received none of it", async () => {
      const received = new Map<TestSocket, string[]>(clients.map((socket) => [socket, []]));
      const barrier = countdown(clients.length, "barrier tick on every client");
      for (const socket of clients) {
        socket.onAny((event: string, payload: { seq?: number }) => {
          received.get(socket)!.push(event);
          if (payload?.seq === BARRIER) barrier.add();
        });
      }
      await warmUp({ sockets: 10, broadcasts: 3, parser }, deps(nodes[1]!));
      // Sent after the warm-up along the same path: had a warm-up broadcast leaked, it would be here before it.
      nodes[1]!.io.emit("tick", { seq: BARRIER, at: Date.now() });
      await barrier.done;
      for (const socket of clients) {
        socket.offAny();
        assert.deepEqual(received.get(socket), ["tick"]);
      }
    });

    test("a client asking for the warm-up's namespace afterwards is refused", async () => {
      await warmUp({ sockets: 5, broadcasts: 1, parser }, deps(nodes[0]!));
      const socket = createClient(`${nodes[0]!.url}${WARM_UP_NAMESPACE}`, { parser, transport: "websocket" });
      try {
        const err = await waitFor<Error>(socket, "connect_error");
        assert.equal(err.message, "Invalid namespace");
      } finally {
        socket.disconnect();
      }
    });

    test("a publish that fails (its Redis client gone) cuts the warm-up short, and nothing crashes", async () => {
      const gone = createRedisClient(redis.url, testLog, { name: "test-gone" });
      await gone.connect();
      await closeRedis(gone);
      const result = await warmUp(
        { sockets: 5, broadcasts: 3, parser },
        { ...deps(nodes[0]!), redis: { client: gone, key: "socket.io", isReady: () => true } },
      );
      assert.deepEqual([result.sockets, result.broadcasts, result.path], [5, 0, "redis"]);
      assert.equal(nodes[0]!.io._nsps.has(WARM_UP_NAMESPACE), false);
    });

    test("two servers warming up at once do not cut each other's warm-up short", async () => {
      // Server 1 warms up again and again while server 2 runs a long one: their namespaces share a Redis
      // channel prefix, and a cluster-wide disconnect at the end of one would close the other's sockets.
      const long = warmUp({ sockets: 30, broadcasts: 60, parser }, deps(nodes[1]!));
      let done = false;
      void long.finally(() => (done = true));
      let short = 0;
      while (!done) {
        const result = await warmUp({ sockets: 5, broadcasts: 1, parser }, deps(nodes[0]!));
        assert.equal(result.broadcasts, 1);
        short++;
      }
      const result = await long;
      assert.deepEqual([result.sockets, result.broadcasts], [30, 60]);
      assert.ok(short >= 2, `the short warm-ups overlapped the long one (${short} of them)`);
    });
  });
}

describe("the warm-up without Redis (the in-memory adapter)", () => {
  const http = createServer();
  const io = createSocketServer({
    httpServer: http,
    identity: { replica: "alone", worker: 0, pid: process.pid },
    log: testLog,
    options: TEST_SOCKET_OPTIONS,
  });
  const deps: WarmUpDeps = { io, httpServer: http, log: testLog };
  after(() => new Promise<void>((resolve) => io.close(() => resolve())));

  test("broadcasts locally", async () => {
    const result = await warmUp({ sockets: 20, broadcasts: 4 }, deps);
    assert.deepEqual([result.sockets, result.broadcasts, result.path], [20, 4, "local"]);
    assert.equal(io._nsps.has(WARM_UP_NAMESPACE), false);
  });

  test("its clients run in a process of their own, gone when it resolves", async () => {
    // This process's TCP sockets, by type ("TCPSocketWrap"; closing ones may linger a tick, hence a range below).
    // @see https://nodejs.org/api/process.html#processgetactiveresourcesinfo
    const tcp = () => process.getActiveResourcesInfo().filter((type) => type === "TCPSocketWrap").length;
    const children = () => processTree([process.pid]).filter((pid) => pid !== process.pid);
    const baseline = { tcp: tcp(), children: children() };
    const sockets = 30;
    let during: { tcp: number; children: number[] } | undefined;
    const onNamespace = (nsp: Namespace) => {
      if (nsp.name !== WARM_UP_NAMESPACE) return;
      nsp.on("connection", () => {
        if (nsp.sockets.size === sockets) during = { tcp: tcp(), children: children() };
      });
    };
    io.on("new_namespace", onNamespace);
    try {
      const result = await warmUp({ sockets, broadcasts: 2 }, deps);
      assert.equal(result.sockets, sockets);
    } finally {
      io.off("new_namespace", onNamespace);
    }
    assert.ok(during, "every warm-up socket joined");
    // In this process, only the server's end of each connection: the clients' ends here would double it.
    const added = during.tcp - baseline.tcp;
    assert.ok(added >= sockets - 2 && added < sockets * 1.5, `${added} TCP sockets added here for ${sockets}`);
    const forked = during.children.filter((pid) => !baseline.children.includes(pid));
    assert.equal(forked.length, 1, "one process forked for the clients");
    assert.deepEqual(children(), baseline.children, "the clients' process is gone");
  });

  test("does nothing with 0 sockets or 0 broadcasts", async () => {
    for (const off of [
      { sockets: 0, broadcasts: 4 },
      { sockets: 20, broadcasts: 0 },
    ]) {
      const result = await warmUp(off, deps);
      assert.deepEqual([result.sockets, result.broadcasts, result.path], [0, 0, "none"]);
      assert.equal(io._nsps.has(WARM_UP_NAMESPACE), false);
    }
  });
});

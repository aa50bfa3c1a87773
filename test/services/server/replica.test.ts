/**
 * One replica as it runs in production: `node services/server/main.js`, a primary with @socket.io/sticky
 * in front of its cluster workers, as a child process, reached directly (no nginx).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Identity } from "../../../services/shared/events.js";
import {
  closeAll,
  connectClient,
  createClient,
  request,
  type TestSocket,
  type Transport,
} from "../../helpers/clients.js";
import { startRedis, type TestRedis } from "../../helpers/redis.js";
import { startReplica, type TestService } from "../../helpers/services.js";
import { countdown, times, waitFor, within } from "../../helpers/wait.js";

const BURST = 3000;

describe("a clustered replica on the Redis adapter (2 workers)", () => {
  let redis: TestRedis;
  let replica: TestService;

  before(async () => {
    redis = await startRedis();
    // Round-trip loops below send far more than a person would; the limiter has its own test.
    replica = await startReplica({
      WORKERS: "2",
      REDIS_URL: redis.url,
      EVENT_RATE_LIMIT: "10000",
      EVENT_BURST: "10000",
    });
  });
  after(async () => {
    await replica?.stop();
    await redis?.stop();
  });

  for (const transport of ["polling", "websocket"] satisfies Transport[]) {
    test(`${transport}-only clients keep their worker across 50 acked round trips`, async () => {
      const clients = await times(10, () => connectClient(replica.url, { transport, localAddress: "127.0.10.1" }));
      try {
        const errors: string[] = [];
        for (const { socket } of clients) {
          socket.on("connect_error", (err) => errors.push(err.message));
          socket.on("disconnect", (reason) => errors.push(reason));
        }
        await Promise.all(
          clients.map(async ({ socket, hello }) => {
            for (let i = 0; i < 50; i++) assert.deepEqual(await request<Identity>(socket, "whoami"), hello);
          }),
        );
        assert.deepEqual(errors, [], "a client lost its session");
        assert.equal(new Set(clients.map((c) => c.hello.worker)).size, 2, "both workers should hold clients");
        for (const { socket } of clients) assert.equal(socket.io.engine.transport.name, transport);
      } finally {
        closeAll(clients.map((c) => c.socket));
      }
    });
  }

  test(`a burst of ${BURST} websocket clients: every one completes the handshake, spread over the workers`, async () => {
    const sockets: TestSocket[] = [];
    const perWorker = new Map<number, number>();
    const errors = new Map<string, number>();
    const all = countdown(BURST, `hello on all ${BURST} clients`, 60_000);
    try {
      for (let i = 0; i < BURST; i++) {
        const socket = createClient(replica.url, { transport: "websocket", localAddress: "127.0.11.1" });
        socket.once("hello", (identity) => {
          perWorker.set(identity.worker, (perWorker.get(identity.worker) ?? 0) + 1);
          all.add();
        });
        socket.on("connect_error", (err) => errors.set(err.message, (errors.get(err.message) ?? 0) + 1));
        sockets.push(socket);
      }
      await all.done.catch((err: Error) => {
        throw new Error(
          `${err.message}; errors: ${JSON.stringify([...errors])}; per worker: ${JSON.stringify([...perWorker])}`,
        );
      });
      assert.equal(perWorker.size, 2);
      for (const [worker, count] of perWorker) {
        assert.ok(count >= BURST * 0.4, `worker ${worker} got only ${count} of ${BURST}: the burst did not spread`);
      }
    } finally {
      closeAll(sockets);
    }
  });

  test("/healthz and /readyz answer JSON with the replica's identity", async () => {
    const health = await fetch(`${replica.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as Identity).replica, "test-replica");
    const ready = await fetch(`${replica.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
    const missing = await fetch(`${replica.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /no route/);
  });

  test("the demo page, its script, the client library and Socket.IO's ES module build are served", async () => {
    const page = await fetch(`${replica.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/demo.js"><\/script>/);
    // A strict policy: scripts and styles from this origin only; the page has nothing inline to allow.
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(csp, /(^|; )style-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|sha256-/);
    assert.deepEqual([...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)], [], "an inline script");
    assert.doesNotMatch(html, /<style|style=/, "an inline style");
    for (const path of [
      "/demo.js",
      "/demo.css",
      "/socket.io/socket.io.esm.min.js",
      "/client/index.js",
      "/client/resumable-socket.js",
    ]) {
      const file = await fetch(`${replica.url}${path}`);
      assert.equal(file.status, 200, path);
      assert.match(file.headers.get("content-type") ?? "", /javascript|css/, path);
    }
    // The browser cannot resolve a bare import: the client library's points at Socket.IO's own build.
    const library = await (await fetch(`${replica.url}/client/resumable-socket.js`)).text();
    assert.match(library, /from "\/socket.io\/socket.io.esm.min.js"/);
    assert.doesNotMatch(library, /from "socket.io-client"/);
  });

  test("a browser from another origin is refused; the same origin is not", async () => {
    const { socket } = await connectClient(replica.url, { transport: "websocket", origin: replica.url });
    socket.disconnect();
    const stranger = createClient(replica.url, { transport: "polling", origin: "https://evil.example" });
    const err = await waitFor<Error>(stranger, "connect_error", { what: "refusal of a foreign origin" });
    stranger.disconnect();
    assert.match(err.message, /xhr poll error/);
    // What the browser would have seen:
    const refused = await fetch(`${replica.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: "https://evil.example" },
    });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /origin not allowed/);
  });

  test("a worker killed with SIGKILL is respawned; its clients reconnect; the other worker's never notice", async () => {
    // A replica of its own: the other tests expect workers 1 and 2.
    const replica = await startReplica({ WORKERS: "2", REDIS_URL: redis.url });
    const clients = await times(6, () =>
      connectClient(replica.url, { transport: "websocket", localAddress: "127.0.13.1", reconnection: true }),
    );
    try {
      const victim = clients[0]!.hello;
      const onVictim = clients.filter((c) => c.hello.pid === victim.pid);
      const others = clients.filter((c) => c.hello.pid !== victim.pid);
      assert.ok(others.length > 0);
      let othersDisconnected = 0;
      for (const { socket } of others) socket.on("disconnect", () => othersDisconnected++);
      const rehello = onVictim.map(({ socket }) =>
        waitFor<Identity>(socket, "hello", { what: "hello after reconnect" }),
      );
      process.kill(victim.pid, "SIGKILL");
      for (const identity of await Promise.all(rehello)) assert.notEqual(identity.pid, victim.pid);

      // The primary forked a replacement: new clients reach it (round-robin), held until it was ready.
      const seen = new Set<number>();
      for (let i = 0; i < 10 && !seen.has(3); i++) {
        const { socket, hello } = await connectClient(replica.url, {
          transport: "websocket",
          localAddress: "127.0.13.1",
        });
        seen.add(hello.worker);
        socket.disconnect();
      }
      assert.ok(seen.has(3), `no client reached the respawned worker (workers seen: ${[...seen].join(", ")})`);
      assert.equal(othersDisconnected, 0, "clients of the surviving worker were disconnected");
    } finally {
      closeAll(clients.map((c) => c.socket));
      await replica.stop();
    }
  });

  test("SIGTERM drains: clients are disconnected and the replica exits 0", async () => {
    // A replica of its own, since this one ends.
    const replica = await startReplica({ WORKERS: "2", REDIS_URL: redis.url });
    const clients = await times(20, () =>
      connectClient(replica.url, { transport: "websocket", localAddress: "127.0.12.1" }),
    );
    const disconnected = Promise.all(
      clients.map(({ socket }) => waitFor(socket, "disconnect", { what: "disconnect on drain" })),
    );
    const code = await within(replica.stop(), 15_000, "replica exit");
    await disconnected;
    assert.equal(code, 0);
  });
});

describe("a clustered replica without Redis (cluster adapter, `npm start`)", () => {
  let replica: TestService;

  before(async () => {
    replica = await startReplica({ WORKERS: "2" });
  });
  after(async () => {
    await replica?.stop();
  });

  test("chat reaches room members on the other worker", async () => {
    // Round-robin alternates workers, so four clients cover both.
    const clients = await times(4, () => connectClient(replica.url, { transport: "websocket" }));
    try {
      const [sender, ...others] = clients;
      assert.ok(sender);
      const onOtherWorker = others.filter((c) => c.hello.worker !== sender.hello.worker);
      assert.ok(onOtherWorker.length > 0, "expected clients on both workers");
      for (const { socket } of clients) assert.equal((await request(socket, "join", "lobby")).ok, true);
      const delivered = others.map(({ socket }) => waitFor(socket, "chat", { what: "chat across workers" }));
      assert.deepEqual(await request(sender.socket, "chat", { room: "lobby", text: "hi" }), { ok: true });
      for (const message of await Promise.all(delivered)) {
        assert.deepEqual(message, { room: "lobby", text: "hi", from: sender.socket.id });
      }
    } finally {
      closeAll(clients.map((c) => c.socket));
    }
  });

  test("bad input gets an error in the ack, never a crash", async () => {
    const { socket, hello } = await connectClient(replica.url);
    try {
      assert.deepEqual(await request(socket, "join", "no spaces"), {
        ok: false,
        error: "room must be 1-64 characters of [A-Za-z0-9_:.-]",
      });
      assert.deepEqual(await request(socket, "join", { room: "x" }), { ok: false, error: "room must be a string" });
      assert.deepEqual(await request(socket, "chat", { room: "lobby", text: "hi" }), {
        ok: false,
        error: 'join "lobby" before chatting in it',
      });
      assert.deepEqual(await request(socket, "chat", "hi"), { ok: false, error: "message must be { room, text }" });
      await request(socket, "join", "lobby");
      assert.deepEqual(await request(socket, "chat", { room: "lobby", text: "x".repeat(1001) }), {
        ok: false,
        error: "text must be at most 1000 characters",
      });
      // Without an ack the server has nobody to answer; it must simply carry on.
      const untyped = socket as unknown as { emit(event: string, ...args: unknown[]): void };
      untyped.emit("join", "lobby");
      untyped.emit("chat");
      assert.deepEqual(await request<Identity>(socket, "whoami"), hello);
    } finally {
      socket.disconnect();
    }
  });
});

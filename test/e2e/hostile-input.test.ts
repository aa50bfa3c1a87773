/**
 * Hostile input against the local stack (nginx -> 2 replicas x 2 workers -> Redis, and the broadcaster): each
 * case is one an independent probe found to break or weaken the deployment, and each asserts what holds now.
 * The table in docs/security.md lists them. Every test uses source addresses of its own (127.N.0.1), so the
 * per-address limits of one cannot disturb another.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createClient as createRedis } from "redis";
import WebSocket from "ws";
import type { Identity, ServersResult } from "../../services/shared/events.js";
import type { SyncResult } from "../../services/shared/position.js";
import { pollUntil } from "../../scripts/processes.js";
import { PACKETS_PER_EVENT } from "../../services/server/app/rate-limit.js";
import { SYNC_BURST } from "../../services/server/delivery/sync.js";
import { startStack, type Stack } from "../../scripts/stack.js";
import { closeAll, connectClient, request, type TestSocket } from "../helpers/clients.js";
import { nested, pack } from "../helpers/msgpack.js";
import { openRawSocketIo, send, sendRaw, upgradeHead } from "../helpers/raw.js";
import { countdown, times, within } from "../helpers/wait.js";

const RATE = 5;
const BURST = 10;
const HANDSHAKE_BURST = 30;
const at = (n: number) => `127.${n}.0.1`;
/** `[[[ ... ]]]`, `depth` levels, as JSON text. */
const deepJson = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("hostile input", () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      replicas: 2,
      workers: 2,
      tickIntervalMs: 0,
      logLevel: "info",
      handshakeRate: 5,
      handshakeBurst: HANDSHAKE_BURST,
      serverEnv: { EVENT_RATE_LIMIT: String(RATE), EVENT_BURST: String(BURST) },
      broadcasterEnv: { BROADCAST_RATE_LIMIT: "2", BROADCAST_BURST: "20" },
    });
  });

  after(async () => {
    // Nothing here may have taken a process down.
    for (const name of stack?.services ?? []) {
      assert.equal(stack.process(name).child.exitCode, null, `${name} exited`);
    }
    await stack?.stop();
  });

  const broadcast = (body: string, localAddress = at(40)) =>
    send(`${stack.broadcaster}/broadcast`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
      body,
      localAddress,
    });

  /** Lines of a service's log that match `pattern`. */
  const logLines = (services: string[], pattern: RegExp) =>
    services.flatMap((name) =>
      readFileSync(join(stack.logDir, `${name}.log`), "utf8")
        .split("\n")
        .filter((line) => pattern.test(line)),
    );
  /**
   * Waits for the first log line matching `pattern` (the replicas' by default) (logs reach their files through a pipe, after the
   * event the test saw), and returns how many there are.
   */
  const logged = async (pattern: RegExp, services = stack.replicas.map((r) => r.name)) => {
    await pollUntil(`a log line ${pattern}`, async () => logLines(services, pattern).length > 0, { timeoutMs: 10_000 });
    return logLines(services, pattern).length;
  };

  /** Clients on every replica and worker; resolves with them and the pid of every worker. */
  const spreadClients = async (first: number, count = 8) => {
    const clients = await times(count, (i) =>
      connectClient(stack.url, { transport: "websocket", localAddress: at(first + i) }),
    );
    const answer = await request<ServersResult>(clients[0]!.socket, "servers");
    assert.ok(answer.ok, JSON.stringify(answer));
    return { clients, pids: answer.servers.map((s) => s.pid).sort() };
  };

  /** Every worker still runs with the same pid (none died and was respawned). */
  const sameWorkers = async (socket: TestSocket, pids: number[]) => {
    const answer = await request<ServersResult>(socket, "servers");
    assert.ok(answer.ok, JSON.stringify(answer));
    assert.deepEqual(answer.servers.map((s) => s.pid).sort(), pids);
  };

  /** Publishes `event` through the broadcaster and waits until each client got it exactly once. */
  const everyoneGets = async (sockets: TestSocket[], event: string, data: unknown) => {
    const counts = new Map<TestSocket, number>();
    const all = countdown(sockets.length, `${event} on every client`);
    for (const socket of sockets) {
      (socket as unknown as { on(e: string, f: () => void): void }).on(event, () => {
        counts.set(socket, (counts.get(socket) ?? 0) + 1);
        if (counts.get(socket) === 1) all.add();
      });
    }
    const res = await broadcast(JSON.stringify({ event, data }));
    assert.equal(res.status, 202, res.body);
    await all.done;
    return counts;
  };

  test("a broadcast nested too deep is refused with 400 at the API (33, 2400 and 3000 levels); 32 is delivered", async () => {
    const { clients } = await spreadClients(10, 4);
    try {
      for (const depth of [33, 2400, 3000]) {
        const res = await broadcast(`{"event":"news","data":${deepJson(depth)}}`);
        assert.equal(res.status, 400, `${depth} levels: ${res.body}`);
        assert.deepEqual(JSON.parse(res.body), { error: "data is nested deeper than 32 levels" });
      }
      const counts = await everyoneGets(
        clients.map((c) => c.socket),
        "news",
        JSON.parse(deepJson(32)),
      );
      assert.deepEqual([...counts.values()], [1, 1, 1, 1]);
    } finally {
      closeAll(clients.map((c) => c.socket));
    }
  });

  test("a poisoned message reaching the workers through Redis by another route harms no one", async () => {
    const { clients, pids } = await spreadClients(20);
    const sockets = clients.map((c) => c.socket);
    let disconnects = 0;
    for (const socket of sockets) socket.on("disconnect", () => disconnects++);
    const redis = createRedis({ url: stack.redis });
    redis.on("error", () => undefined);
    await redis.connect();
    try {
      // [uid, packet, opts], as @socket.io/redis-emitter publishes it; `data` is already encoded.
      const message = (packet: Buffer, opts?: Record<string, never[] | Record<string, never>>) =>
        Buffer.concat([Buffer.from([opts ? 0x93 : 0x92]), pack("poison"), packet, ...(opts ? [pack(opts)] : [])]);
      const event = (data: Buffer) =>
        Buffer.concat([Buffer.from([0x83]), pack("type"), pack(2), pack("nsp"), pack("/"), pack("data"), data]);
      const envelope = (data: Buffer) =>
        message(event(Buffer.concat([Buffer.from([0x92]), pack("news"), data])), { rooms: [], except: [], flags: {} });
      const poisons: Array<[string, Buffer]> = [
        // Decodes, then overflows the stack of Socket.IO's encoder in every worker (what killed them all).
        ["2400 levels deep", envelope(nested(2400))],
        // Overflows the adapter's own (recursive) msgpack decoder.
        ["100000 levels deep", envelope(nested(100_000))],
        ["not msgpack", Buffer.from("not msgpack at all")],
        ["no options", message(event(pack(["news", "x"])))],
        ["a number", pack(7)],
      ];
      for (const [, message] of poisons) await redis.publish("socket.io#/#", message);
      // The request channel (fetchSockets, serverSideEmit) too.
      await redis.publish("socket.io-request#/#", Buffer.from("{not json"));
      await redis.publish("socket.io-request#/#", pack([1, 2, 3]));

      // Published after the poison along the same path: when every client has it, every poison was handled.
      const counts = await everyoneGets(sockets, "after-poison", { ok: true });
      assert.deepEqual([...counts.values()], Array(sockets.length).fill(1));
      await sameWorkers(sockets[0]!, pids);
      assert.equal(disconnects, 0, "a client was disconnected");
      // Each worker said what it dropped.
      await logged(/dropped an adapter message/);
    } finally {
      await redis.quit();
      closeAll(sockets);
    }
  });

  test("an event nested too deep gets an error ack, and the socket carries on", async () => {
    const { socket } = await connectClient(stack.url, { transport: "websocket", localAddress: at(30) });
    try {
      for (const depth of [33, 2400]) {
        const message = { room: "lobby", text: JSON.parse(deepJson(depth)) as unknown };
        assert.deepEqual(await request(socket, "chat", message), {
          ok: false,
          error: "payload is nested deeper than 32 levels",
        });
      }
      assert.equal((await request(socket, "join", "lobby")).ok, true);
    } finally {
      socket.disconnect();
    }
  });

  test("the event rate limit holds per connection: re-opening the namespace does not refill it", async () => {
    const member = await connectClient(stack.url, { transport: "websocket", localAddress: at(50) });
    const flooder = await openRawSocketIo(stack.url, { localAddress: at(51) });
    try {
      assert.equal((await request(member.socket, "join", "flood")).ok, true);
      let received = 0;
      member.socket.on("chat", (message) => {
        if (message.text === "flood") received++;
      });
      const started = Date.now();
      // CONNECT, a join and chats (as many events as the burst allows, so none is refused), DISCONNECT, again
      // and again: each namespace socket used to get a fresh bucket, and with a limit of 20 (burst 40: a join
      // and 39 chats a round) this delivered 533 messages a second. Without the fix: 20 rounds x 9 chats here.
      let open = true;
      void flooder.closed.then(() => (open = false));
      /** Waits for the first frame after `from` that `match`es, or for the connection to close. */
      const reply = (from: number, match: (m: string) => boolean, what: string) =>
        Promise.race([flooder.next((m, i) => i >= from && match(m), what), flooder.closed]);
      let ack = 0;
      for (let round = 0; round < 20 && open; round++) {
        let from = flooder.messages.length;
        flooder.ws.send("40");
        await reply(from, (m) => m.startsWith('40{"sid"'), "CONNECT ack");
        if (!open) break;
        // Socket.IO runs handlers a tick after decoding, so a DISCONNECT in the same read would drop these
        // events unhandled: wait for their acks (accepted or refused) first.
        from = flooder.messages.length;
        const last = ack + BURST - 1;
        flooder.ws.send(`42${ack++}["join","flood"]`);
        while (ack <= last) flooder.ws.send(`42${ack++}["chat",{"room":"flood","text":"flood"}]`);
        await reply(from, (m) => m.startsWith(`43${last}[`), "the last event's ack");
        if (!open) break;
        flooder.ws.send("41");
        // CONNECT_ERROR is answered at once; once it is here, the DISCONNECT before it was handled too, and
        // the next CONNECT finds the namespace free (a CONNECT to a connected namespace closes the connection).
        from = flooder.messages.length;
        flooder.ws.send("40/nowhere,");
        await reply(from, (m) => m.startsWith("44/nowhere,"), "CONNECT_ERROR");
      }
      const code = await within(flooder.closed, 10_000, "the flooding connection to be closed");
      const elapsed = (Date.now() - started) / 1000;
      // Everything the flooder got through was published before its connection closed; a barrier sent now,
      // along the same path, arrives after all of it.
      const barrier = within(
        new Promise<void>((resolve) => member.socket.on("chat", (m) => m.text === "barrier" && resolve())),
        10_000,
        "the barrier",
      );
      const witness = await connectClient(stack.url, { transport: "websocket", localAddress: at(52) });
      await request(witness.socket, "join", "flood");
      await request(witness.socket, "chat", { room: "flood", text: "barrier" });
      await barrier;
      witness.socket.disconnect();
      const allowed = BURST + RATE * elapsed;
      assert.ok(received <= allowed, `${received} chats delivered in ${elapsed.toFixed(2)} s; allowed ${allowed}`);
      assert.ok(received > 0, "nothing got through: the test did not exercise the limit");
      assert.ok(code > 0, `closed with ${code}`);
      // Logged once for that connection, not once per dropped event.
      assert.equal(await logged(/closing a connection.*127\.51\.0\.1/), 1);
    } finally {
      member.socket.disconnect();
      flooder.ws.terminate();
    }
  });

  test("CONNECTs count too: 5000 to an unknown namespace close the connection after the packet allowance", async () => {
    const flooder = await openRawSocketIo(stack.url, { localAddress: at(53) });
    for (let i = 0; i < 5000 && flooder.ws.readyState === WebSocket.OPEN; i++) flooder.ws.send("40/nowhere,");
    await within(flooder.closed, 10_000, "the connection to be closed");
    const answered = flooder.messages.filter((m) => m.startsWith("44/nowhere,")).length;
    // The packet allowance is a multiple of the event burst, plus what refilled meanwhile.
    const allowed = PACKETS_PER_EVENT * (BURST + RATE);
    assert.ok(answered > 0 && answered <= allowed, `${answered} CONNECT_ERRORs answered, allowed ${allowed}`);
    assert.equal(await logged(/closing a connection: too many packets.*127\.53\.0\.1/), 1);
  });

  test("`sync` asked again and again cannot turn one connection into a replay firehose", async () => {
    const { socket } = await connectClient(stack.url, { transport: "websocket", localAddress: at(55) });
    try {
      // The whole history of everyone's channel, from its start, again and again, each after the last answer.
      const whole = { channels: { "*": { epoch: null, offset: 0 } } };
      const answers: SyncResult[] = [];
      for (let i = 0; i < SYNC_BURST + 3; i++) answers.push(await request<SyncResult>(socket, "sync", whole));
      assert.deepEqual(
        answers.map((a) => a.ok),
        [...Array<boolean>(SYNC_BURST).fill(true), false, false, false],
        JSON.stringify(answers),
      );
      assert.match(JSON.stringify(answers.at(-1)), /too many syncs, try again later/);
      // Two at once: the second is refused while the first runs (or by the allowance, already spent).
      const [first, second] = await Promise.all([
        request<SyncResult>(socket, "sync", whole),
        request<SyncResult>(socket, "sync", whole),
      ]);
      assert.equal(second.ok, false, JSON.stringify([first, second]));
    } finally {
      socket.disconnect();
    }
  });

  test("handshake floods from one address get 429 at nginx; sessions in progress are not limited", async () => {
    const existing = await connectClient(stack.url, { transport: "polling", localAddress: at(60) });
    try {
      const results = await times(HANDSHAKE_BURST * 2, () =>
        send(`${stack.url}/socket.io/?EIO=4&transport=polling`, { localAddress: at(60) }),
      );
      const refused = results.filter((r) => r.status === 429);
      const served = results.filter((r) => r.status === 200);
      assert.equal(refused.length + served.length, results.length, results.map((r) => r.status).join(","));
      assert.ok(refused.length > 0, "nothing was refused");
      assert.ok(served.length <= HANDSHAKE_BURST + 2, `${served.length} handshakes served`);
      assert.deepEqual(JSON.parse(refused[0]!.body), {
        error: "too many new connections from this address, slow down",
      });
      assert.equal(refused[0]!.headers["retry-after"], "1");
      // The polling client from that address still gets answers (its requests carry a sid).
      assert.equal((await request<Identity>(existing.socket, "whoami")).replica, existing.hello.replica);
      // Another address is not affected.
      assert.equal(
        (await send(`${stack.url}/socket.io/?EIO=4&transport=polling`, { localAddress: at(61) })).status,
        200,
      );
    } finally {
      existing.socket.disconnect();
    }
  });

  test("every request is checked against ALLOWED_ORIGINS, not the Host header", async () => {
    const evil = "https://evil.example";
    const url = (query: string) => `${stack.url}/socket.io/?EIO=4&transport=polling${query}`;
    // A session opened by a non-browser client (no Origin)...
    const open = await send(url(""), { localAddress: at(70) });
    assert.equal(open.status, 200, open.body);
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    // ...may not be used from a foreign page: POST, GET, or an upgrade with its sid.
    const post = await send(url(`&sid=${sid}`), {
      method: "POST",
      headers: { origin: evil, "content-type": "text/plain" },
      body: "40",
      localAddress: at(70),
    });
    assert.equal(post.status, 403, post.body);
    assert.match((JSON.parse(post.body) as { message: string }).message, /origin not allowed/);
    assert.equal((await send(url(`&sid=${sid}`), { headers: { origin: evil }, localAddress: at(70) })).status, 403);
    const upgrade = new WebSocket(
      `${stack.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket&sid=${sid}`,
      {
        origin: evil,
        localAddress: at(70),
      },
    );
    const refused = await within(
      new Promise<number>((resolve, reject) => {
        upgrade.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        upgrade.once("upgrade", () => reject(new Error("the upgrade was accepted")));
        upgrade.once("error", () => undefined);
      }),
      10_000,
      "the upgrade's answer",
    );
    assert.equal(refused, 403);
    upgrade.terminate();
    // DNS rebinding: Host and Origin agree, and both are the attacker's.
    const rebound = await send(url(""), {
      headers: { host: "evil.example:8080", origin: "http://evil.example:8080" },
      localAddress: at(71),
    });
    assert.equal(rebound.status, 403, rebound.body);
    // The page's own origin, as nginx serves it, is allowed.
    assert.equal((await send(url(""), { headers: { origin: stack.url }, localAddress: at(71) })).status, 200);
  });

  test("an upgrade that declares a body is refused, by nginx and by a replica reached directly", async () => {
    for (const target of [stack.url, stack.replicas[0]!.url]) {
      for (const header of ["Content-Length: 0", "Transfer-Encoding: chunked"]) {
        const res = await sendRaw(target, upgradeHead(target, [header]));
        assert.equal(res.status, 400, `${target} ${header}: ${res.text}`);
        assert.match(res.text, /"error":"an upgrade request must not declare a body"/);
      }
      // The same upgrade without it is accepted (the guard lets normal clients through).
      assert.equal((await sendRaw(target, upgradeHead(target))).status, 101, target);
    }
  });

  test("/readyz (replica name, worker, pid) is not served to the public through nginx", async () => {
    const res = await send(`${stack.url}/readyz`, { localAddress: at(80) });
    assert.equal(res.status, 404);
    assert.deepEqual(JSON.parse(res.body), { error: "not found" });
    assert.equal((await send(`${stack.url}/metrics`, { localAddress: at(80) })).status, 404);
    // The replica still answers it on its own port, for the orchestrator.
    assert.equal((await send(`${stack.replicas[0]!.url}/readyz`)).status, 200);
  });

  test("the broadcaster API: per-address rate limit (429), and wrong tokens logged, not once per request", async () => {
    const address = at(90);
    const wrong = await times(25, () =>
      send(`${stack.broadcaster}/broadcast`, {
        method: "POST",
        headers: { authorization: "Bearer not-the-token-at-all", "content-type": "application/json" },
        body: "{}",
        localAddress: address,
      }),
    );
    const statuses = wrong.map((r) => r.status);
    assert.ok(statuses.includes(401) && statuses.includes(429), statuses.join(","));
    assert.ok(statuses.filter((s) => s === 401).length <= 21, statuses.join(","));
    const limited = wrong.find((r) => r.status === 429)!;
    assert.deepEqual(JSON.parse(limited.body), { error: "too many requests, slow down" });
    const log = readFileSync(join(stack.logDir, "broadcaster.log"), "utf8").split("\n");
    assert.equal(
      log.filter((l) => /refused broadcasts with a missing or wrong token.*127\.90\.0\.1/.test(l)).length,
      1,
    );
    // Another address is served.
    assert.equal((await broadcast('{"event":"news"}', at(91))).status, 202);
  });
});

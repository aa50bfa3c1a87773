/**
 * Malformed and abusive input, sent through nginx and the sticky primary to a worker, as a stranger would.
 * Cases follow the expectations of the Engine.IO / Socket.IO protocol test suite (socketio/socket.io-protocol)
 * that apply to a deployment: every refusal is a clear status or close, nothing crashes, and the servers
 * keep serving everyone else.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { Identity, Result } from "../../services/shared/events.js";
import { PACKETS_PER_EVENT } from "../../services/server/app/rate-limit.js";
import { startStack, type Stack } from "../../scripts/stack.js";
import { connectClient, request } from "../helpers/clients.js";
import { openRawSocketIo } from "../helpers/raw.js";
import { times, waitFor, within } from "../helpers/wait.js";

const MAX_BUFFER = 10_000;

describe("bad input through nginx and sticky", () => {
  let stack: Stack;
  let base: string;

  before(async () => {
    stack = await startStack({
      replicas: 2,
      workers: 2,
      tickIntervalMs: 0,
      logLevel: "warn",
      serverEnv: {
        MAX_HTTP_BUFFER_SIZE: String(MAX_BUFFER),
        EVENT_RATE_LIMIT: "5",
        EVENT_BURST: "10",
        MAX_ROOMS_PER_SOCKET: "3",
      },
    });
    base = `${stack.url}/socket.io/`;
  });

  after(async () => {
    // Nothing above may have taken a process down.
    for (const name of stack?.services ?? []) {
      assert.equal(stack.process(name).child.exitCode, null, `${name} exited`);
    }
    await stack?.stop();
  });

  const json = async (res: Response) => ({
    status: res.status,
    body: (await res.json()) as { code: number; message: string },
  });

  /** A polling session opened by hand; returns its sid. */
  const openPolling = async () => {
    const res = await fetch(`${base}?EIO=4&transport=polling`);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return (JSON.parse(text.slice(1)) as { sid: string }).sid;
  };

  test("handshakes that are not Engine.IO v4 polling or websocket get 400 with the protocol's error code", async () => {
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      ["?EIO=3&transport=polling", {}, 5, /Unsupported protocol version/],
      ["?transport=polling", {}, 5, /Unsupported protocol version/],
      ["?EIO=4&transport=carrier-pigeon", {}, 0, /Transport unknown/],
      ["?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", {}, 1, /Session ID unknown/],
      ["?EIO=4&transport=polling", { method: "POST", body: "40" }, 2, /Bad handshake method/],
    ];
    for (const [query, init, code, message] of cases) {
      const { status, body } = await json(await fetch(base + query, init));
      assert.equal(status, 400, query);
      assert.equal(body.code, code, query);
      assert.match(body.message, message, query);
    }
  });

  test("an invalid Engine.IO packet closes that session only", async () => {
    const sid = await openPolling();
    // Engine.IO acknowledges the POST, finds no packet in it, and closes the session.
    const bad = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "Z not a packet" });
    await bad.arrayBuffer();
    const after = await json(await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`));
    assert.equal(after.status, 400);
    assert.match(after.body.message, /Session ID unknown/);
    // Everyone else is fine.
    await openPolling();
  });

  test("a polling body over MAX_HTTP_BUFFER_SIZE is refused with 413, not by nginx", async () => {
    const sid = await openPolling();
    const res = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, {
      method: "POST",
      body: "4" + "x".repeat(MAX_BUFFER * 2),
    });
    assert.equal(res.status, 413);
    assert.doesNotMatch(await res.text(), /nginx/);
  });

  /** A raw WebSocket session; resolves once the Engine.IO open packet arrived. */
  const openWebSocket = async () => {
    const ws = new WebSocket(`${base.replace("http", "ws")}?EIO=4&transport=websocket`);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(String(data)));
    const open = await within(
      new Promise<string>((resolve, reject) => {
        ws.once("message", (data) => resolve(String(data)));
        ws.once("error", reject);
      }),
      10_000,
      "the Engine.IO open packet",
    );
    assert.match(open, /^0\{"sid":/);
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    return { ws, messages, closed };
  };

  test("websocket: CONNECT to an unknown namespace gets CONNECT_ERROR", async () => {
    const { ws, messages } = await openWebSocket();
    ws.send("40/nowhere,");
    await within(
      new Promise<void>((resolve) =>
        ws.on("message", () => messages.some((m) => m.startsWith("44/nowhere,")) && resolve()),
      ),
      10_000,
      "CONNECT_ERROR",
    );
    assert.ok(
      messages.some((m) => m === '44/nowhere,{"message":"Invalid namespace"}'),
      messages.join(" | "),
    );
    ws.close();
  });

  test("websocket: a malformed Socket.IO packet closes the connection", async () => {
    const { ws, closed } = await openWebSocket();
    ws.send("40");
    ws.send('42["chat"'); // truncated JSON
    assert.ok((await within(closed, 10_000, "close after a malformed packet")) > 0);
  });

  test("websocket: a message over MAX_HTTP_BUFFER_SIZE closes the connection with 1009", async () => {
    const { ws, closed } = await openWebSocket();
    ws.send("40");
    ws.send(`42["chat",{"room":"a","text":"${"x".repeat(MAX_BUFFER * 2)}"}]`);
    assert.equal(await within(closed, 10_000, "close after an oversized message"), 1009);
  });

  test("a socket flooding events gets rate-limit errors in its acks, then is disconnected", async () => {
    const { socket } = await connectClient(stack.url, { transport: "websocket" });
    const disconnected = waitFor<string>(socket, "disconnect", { what: "disconnect for flooding" });
    const answers: Array<Identity | Result> = [];
    // Twice the burst at once, as a flood does: the burst is served, the rest refused in the acks, and as many
    // refusals in a row as the burst disconnect it. (More packets than that at once are dropped unanswered:
    // the next test.)
    for (let i = 0; i < 20; i++)
      (socket.emit as (...a: unknown[]) => void)("whoami", (a: Identity | Result) => answers.push(a));
    assert.equal(await disconnected, "io server disconnect");
    const limited = answers.filter((a) => "ok" in a && a.ok === false);
    const served = answers.filter((a) => "replica" in a);
    // Refusals are answered in the middleware, served events a tick later, so the order of acks is not
    // the order of events; the counts are what matters.
    assert.ok(limited.length > 0 && served.length > 0, `acks: ${JSON.stringify(answers.slice(0, 12))}`);
    assert.ok(served.length <= 10, `${served.length} events served, more than the burst of 10`);
    assert.match((limited[0] as { error: string }).error, /rate limit/);
  });

  test("a flood read in one chunk: the burst let through is still served and acked before the disconnect", async () => {
    // Straight to a replica, the 20 events in one TCP write: the worker reads them at once, refuses the
    // second half in the middleware (in the same tick), and must not close before the first half is served.
    const raw = await openRawSocketIo(stack.replicas[0]!.url);
    raw.ws.send("40");
    await raw.next((m) => m.startsWith("40{"), "the CONNECT answer");
    const tcp = (raw.ws as unknown as { _socket: Socket })._socket;
    tcp.cork();
    for (let id = 0; id < 20; id++) raw.ws.send(`42${id}["whoami"]`);
    tcp.uncork();
    await within(raw.closed, 10_000, "the flooder disconnected");
    const acks = raw.messages.filter((m) => /^43\d+\[/.test(m));
    const served = acks.filter((m) => m.includes('"replica"'));
    const refused = acks.filter((m) => m.includes("rate limit exceeded"));
    assert.ok(served.length > 0 && served.length <= 10, `${served.length} served: ${acks.join(" ")}`);
    assert.equal(refused.length, 10, `refused: ${acks.join(" ")}`);
    assert.ok(raw.messages.includes("41"), "told `io server disconnect` (a DISCONNECT packet) before the close");
  });

  test("a blast of more packets than the connection's allowance disconnects it at once", async () => {
    const { socket } = await connectClient(stack.url, { transport: "websocket" });
    const disconnected = waitFor<string>(socket, "disconnect", { what: "disconnect for flooding" });
    let acks = 0;
    for (let i = 0; i < 200; i++) (socket.emit as (...a: unknown[]) => void)("whoami", () => acks++);
    // `io server disconnect`: socket.io-client does not reconnect by itself, as it would after a transport close.
    assert.equal(await disconnected, "io server disconnect");
    // At most the packet allowance was read before it tripped; the rest was dropped.
    assert.ok(acks <= PACKETS_PER_EVENT * 10, `${acks} acks`);
  });

  test("a socket cannot join more rooms than MAX_ROOMS_PER_SOCKET", async () => {
    const { socket } = await connectClient(stack.url, { transport: "websocket" });
    try {
      for (const room of ["a", "b", "c"]) assert.equal((await request(socket, "join", room)).ok, true);
      assert.deepEqual(await request(socket, "join", "d"), { ok: false, error: "room limit reached (3)" });
      assert.equal((await request(socket, "join", "a")).ok, true, "re-joining a room is not a new one");
      await request(socket, "leave", "a");
      assert.equal((await request(socket, "join", "d")).ok, true);
    } finally {
      socket.disconnect();
    }
  });

  test("after all that, new clients still connect and get answers", async () => {
    const clients = await times(4, () => connectClient(stack.url));
    for (const { socket, hello } of clients) assert.deepEqual(await request<Identity>(socket, "whoami"), hello);
    for (const { socket } of clients) socket.disconnect();
  });
});

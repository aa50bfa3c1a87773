/** SOCKET_PARSER=msgpack: binary frames end to end; the demo page loads the matching client bundle. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Identity } from "../../../../services/shared/events.js";
import { connectClient, request } from "../../../helpers/clients.js";
import { startReplica, type TestService } from "../../../helpers/services.js";

let replica: TestService;
before(async () => {
  replica = await startReplica({ WORKERS: "2", SOCKET_PARSER: "msgpack" });
});
after(async () => {
  await replica?.stop();
});

test("msgpack clients connect, chat and get acks through the sticky primary", async () => {
  const [a, b] = await Promise.all([
    connectClient(replica.url, { parser: "msgpack" }),
    connectClient(replica.url, { parser: "msgpack", transport: "websocket" }),
  ]);
  try {
    assert.deepEqual(await request<Identity>(a.socket, "whoami"), a.hello);
    for (const { socket } of [a, b]) assert.equal((await request(socket, "join", "mp")).ok, true);
    const got = new Promise((resolve) => b.socket.once("chat", resolve));
    assert.deepEqual(await request(a.socket, "chat", { room: "mp", text: "binary" }), { ok: true });
    assert.deepEqual(await got, { room: "mp", text: "binary", from: a.socket.id });
  } finally {
    a.socket.disconnect();
    b.socket.disconnect();
  }
});

test("the demo page's client library loads the msgpack client bundle, which is served", async () => {
  const library = await (await fetch(`${replica.url}/client/resumable-socket.js`)).text();
  // Through a module that hands the bundle's global `io` to the client library (client/io-global.ts).
  assert.match(library, /from "\/client\/io-global.js"/);
  assert.equal((await fetch(`${replica.url}/client/io-global.js`)).status, 200);
  assert.equal((await fetch(`${replica.url}/socket.io/socket.io.msgpack.min.js`)).status, 200);
});

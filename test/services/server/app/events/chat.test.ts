/**
 * The demo chat's handlers, in-process (test/helpers/app-node.ts): no Redis, no cluster. A fork's first
 * handler test can start from this file.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ChatMessage } from "../../../../../services/shared/events.js";
import { closeAll, connectClient, request, type TestSocket } from "../../../../helpers/clients.js";
import { startAppNode, type AppNode } from "../../../../helpers/app-node.js";
import { waitFor } from "../../../../helpers/wait.js";

describe("chat handlers (in-process, no Redis)", () => {
  let app: AppNode;
  let alice: TestSocket;
  let bob: TestSocket;

  before(async () => {
    app = await startAppNode({ maxRoomsPerSocket: 2 });
    [alice, bob] = await Promise.all([connectClient(app.url), connectClient(app.url)]).then((clients) =>
      clients.map((c) => c.socket),
    );
  });

  after(async () => {
    closeAll([alice, bob]);
    await app.close();
  });

  test("join, then chat: every member gets the message, the sender too, and nobody else", async () => {
    const carol = (await connectClient(app.url)).socket;
    try {
      assert.deepEqual(await request(alice, "join", "lobby"), { ok: true });
      assert.deepEqual(await request(bob, "join", "lobby"), { ok: true });
      let carolGot = 0;
      carol.on("chat", () => carolGot++);
      const atBob = waitFor<ChatMessage>(bob, "chat", { what: "chat at bob" });
      const atAlice = waitFor<ChatMessage>(alice, "chat", { what: "chat at alice" });
      assert.deepEqual(await request(alice, "chat", { room: "lobby", text: "hi" }), { ok: true });
      const message = { room: "lobby", text: "hi", from: alice.id };
      assert.deepEqual(await atBob, message);
      assert.deepEqual(await atAlice, message);
      // Carol, in no room, gets nothing: her round trip after the chat proves the chat was already sent.
      await request(carol, "leave", "lobby");
      assert.equal(carolGot, 0);
    } finally {
      carol.disconnect();
    }
  });

  test("bad input gets an error in the ack, never a crash", async () => {
    const dave = (await connectClient(app.url)).socket;
    try {
      assert.deepEqual(await request(dave, "chat", "not an object"), {
        ok: false,
        error: "message must be { room, text }",
      });
      assert.deepEqual(await request(dave, "chat", { room: "elsewhere", text: "x" }), {
        ok: false,
        error: 'join "elsewhere" before chatting in it',
      });
      assert.equal(((await request(dave, "join", "")) as { ok: boolean }).ok, false);
      assert.deepEqual(await request(dave, "join", "first"), { ok: true });
      assert.deepEqual(await request(dave, "join", "second"), { ok: true });
      assert.deepEqual(await request(dave, "join", "third"), { ok: false, error: "room limit reached (2)" });
      // The server still answers.
      assert.deepEqual(await request(dave, "leave", "second"), { ok: true });
    } finally {
      dave.disconnect();
    }
  });

  test("whoami answers with this process", async () => {
    // (`servers` asks every server through the adapter: Socket.IO's in-memory adapter cannot, so it is tested
    // through the whole stack, in test/e2e/faults.test.ts and test/e2e/hostile-input.test.ts.)
    assert.deepEqual(await request(alice, "whoami"), app.identity);
  });
});

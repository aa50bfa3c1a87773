/**
 * The Admin UI's sessions in Redis, on two in-process Socket.IO servers (two workers, as far as the Admin UI
 * can tell) on a real redis-server: a login's session id reaches the UI only once Redis has it, so another
 * worker accepts it at once; and a Redis that cannot answer refuses the session instead of ending the worker.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { io, type Socket } from "socket.io-client";
import { useAdminUi } from "../../../../services/server/metrics/admin-ui.js";
import { RedisSessionStore } from "../../../../services/server/metrics/admin-ui-sessions.js";
import { createRedisClient } from "../../../../services/shared/redis.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";
import { startRedisRelay, type RedisRelay } from "../../../helpers/redis-relay.js";
import { startSocketNode, testLog, type SocketNode } from "../../../helpers/socket-node.js";
import { DEFAULT_TIMEOUT_MS, waitFor, within } from "../../../helpers/wait.js";

const PASSWORD = "admin-ui-sessions-test";

describe("the Admin UI's sessions in Redis", () => {
  let redis: TestRedis;
  let relay: RedisRelay;
  let slow: SocketNode;
  let other: SocketNode;
  const sockets: Socket[] = [];

  before(async () => {
    redis = await startRedis();
    relay = await startRedisRelay(redis.url);
    // The login's worker reaches Redis through the relay, which can hold its requests.
    slow = await startSocketNode(relay.url, "slow");
    other = await startSocketNode(redis.url, "other");
    // Cost 4: the lowest bcrypt allows, so that the test does not wait on the hash.
    const passwordHash = bcrypt.hashSync(PASSWORD, 4);
    for (const node of [slow, other]) {
      const options = { mode: "on", detail: "aggregated", username: "admin", passwordHash } as const;
      useAdminUi(node.io, node.identity, { ...options, redis: node.adapter.redis! });
    }
  });
  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await slow?.close();
    await other?.close();
    await relay?.close();
    await redis?.stop();
  });

  const admin = (url: string, auth: Record<string, string>) => {
    const socket = io(`${url}/admin`, { forceNew: true, reconnection: false, transports: ["websocket"], auth });
    sockets.push(socket);
    return socket;
  };

  test("a login's session id reaches the UI only once Redis has it: another worker accepts it at once", async () => {
    const save = relay.holdRequest("socket.io-admin#");
    const login = admin(slow.url, { username: "admin", password: PASSWORD });
    let sessionId: string | undefined;
    login.on("session" as never, (id: string) => void (sessionId = id));
    const session = waitFor<string>(login, "session", { what: "the session id, once Redis has it" });

    // socket.io-client hands out the events that arrived before CONNECT just before its `connect`.
    await waitFor(login, "connect", { what: "the login accepted" });
    await within(save.held, DEFAULT_TIMEOUT_MS, "the session's SET held on its way to Redis");
    assert.equal(sessionId, undefined, "the UI learned its session id before Redis had it");

    save.release();
    const resumed = admin(other.url, { sessionId: await session });
    await within(
      new Promise<void>((resolve, reject) => {
        resumed.once("connect", () => resolve());
        resumed.once("connect_error", reject);
      }),
      DEFAULT_TIMEOUT_MS,
      "the other worker accepting the session",
    );
  });

  test("a session id Redis cannot check is refused (false), not an unhandled rejection", async () => {
    // Never connected: node-redis rejects every command at once with "The client is closed".
    const store = new RedisSessionStore(createRedisClient(redis.url, testLog, { name: "never-connected" }));
    assert.equal(await store.doesSessionExist("any"), false);
    store.saveSession("any");
    assert.equal(await store.saved("any"), false, "a failed save is reported, and its session event dropped");
  });
});

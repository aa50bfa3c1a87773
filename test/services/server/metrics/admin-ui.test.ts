/**
 * The Admin UI's `/admin` namespace on an in-process Socket.IO server (sessions in memory), against hostile
 * handshakes: a user name without a password, or credentials that are not strings, are refused with a
 * `connect_error` before the package's middleware sees them. Without the guard, the user name with no password
 * or one that is not a string gets no answer here, and in a worker was an unhandled rejection that ended the
 * process (bcrypt's `compare`); the other two got the package's plain `invalid credentials`.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { Server } from "socket.io";
import { io } from "socket.io-client";
import { MALFORMED_CREDENTIALS, useAdminUi } from "../../../../services/server/metrics/admin-ui.js";
import type { AppServer } from "../../../../services/server/socket-types.js";
import { DEFAULT_TIMEOUT_MS, within } from "../../../helpers/wait.js";

const PASSWORD = "admin-ui-test";

describe("the Admin UI's /admin namespace, against hostile handshakes", () => {
  let server: AppServer;
  let url: string;

  before(async () => {
    const http = createServer();
    server = new Server(http) as AppServer;
    // Cost 4: the lowest bcrypt allows, so that the test does not wait on the hash.
    const passwordHash = bcrypt.hashSync(PASSWORD, 4);
    useAdminUi(
      server,
      { replica: "replica-1", worker: 1, pid: process.pid },
      {
        mode: "on",
        detail: "aggregated",
        username: "admin",
        passwordHash,
      },
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/admin`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Resolves with the `connect_error`'s message, or `connected`. */
  const handshake = async (auth: Record<string, unknown>): Promise<string> => {
    const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"], auth });
    try {
      return await within(
        new Promise<string>((resolve) => {
          socket.once("connect", () => resolve("connected"));
          socket.once("connect_error", (err) => resolve(err.message));
        }),
        DEFAULT_TIMEOUT_MS,
        `the handshake with ${JSON.stringify(auth)}`,
      );
    } finally {
      socket.disconnect();
    }
  };

  for (const auth of [
    { username: "admin" },
    { username: "admin", password: 1 },
    { username: "admin", password: null },
    { username: "admin", password: { length: 1 } },
    { username: ["admin"], password: PASSWORD },
    { sessionId: 42 },
  ]) {
    test(`refuses ${JSON.stringify(auth)} with a connect_error`, async () => {
      assert.equal(await handshake(auth), MALFORMED_CREDENTIALS);
    });
  }

  test("a null session id (the UI's page when it has none saved) gets the package's own refusal", async () => {
    assert.equal(await handshake({ sessionId: null }), "invalid credentials");
  });

  test("after them, the right password still logs in and a wrong one is refused", async () => {
    assert.equal(await handshake({ username: "admin", password: PASSWORD }), "connected");
    assert.equal(await handshake({ username: "admin", password: "wrong" }), "invalid credentials");
  });
});

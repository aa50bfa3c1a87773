/**
 * The Socket.IO Admin UI (ADMIN_UI=on, ADMIN_UI_DETAIL=sockets) on the local stack (2 replicas x 2 workers, Redis), in headless Chromium:
 * its page served by the replicas at /admin/, a login with the configured credentials, every worker of every
 * replica listed as a server, and the sockets this test connected listed. A wrong password is refused.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { io } from "socket.io-client";
import { stackAndBrowser } from "../helpers/browser.js";
import { closeAll, connectClient, type TestSocket } from "../helpers/clients.js";
import { within } from "../helpers/wait.js";

const PASSWORD = "admin-ui-test-password";

describe("the Socket.IO Admin UI in Chromium (ADMIN_UI=on)", () => {
  // Cost 4: the lowest bcrypt allows, so that the test does not wait on the hash.
  const started = stackAndBrowser({
    tickIntervalMs: 0,
    serverEnv: { ADMIN_UI: "on", ADMIN_UI_DETAIL: "sockets", ADMIN_UI_PASSWORD_HASH: bcrypt.hashSync(PASSWORD, 4) },
  });

  test("the /admin namespace refuses a wrong password", async () => {
    const admin = io(`${started.stack().url}/admin`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { username: "admin", password: "not-the-password" },
    });
    try {
      const refused = await within(
        new Promise<Error>((resolve) => admin.once("connect_error", resolve)),
        10_000,
        "connect_error for a wrong password",
      );
      assert.match(refused.message, /invalid credentials/);
    } finally {
      admin.disconnect();
    }
  });

  test("a login's session is kept in Redis: another replica accepts its session id", async () => {
    const stack = started.stack();
    const login = io(`${stack.replicas[0]!.url}/admin`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { username: "admin", password: PASSWORD },
    });
    const sessionId = await within(
      new Promise<string>((resolve) => login.once("session" as never, resolve)),
      10_000,
      "the session id after a login",
    );
    login.disconnect();
    const resumed = io(`${stack.replicas[1]!.url}/admin`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { sessionId },
    });
    try {
      await within(
        new Promise<void>((resolve, reject) => {
          resumed.once("connect", () => resolve());
          resumed.once("connect_error", reject);
        }),
        10_000,
        "the other replica accepting the session",
      );
    } finally {
      resumed.disconnect();
    }
  });

  test("logs in, lists every worker of every replica as a server, and the sockets this test connected", async () => {
    // Distinct source addresses, so that ip_hash puts them on both replicas.
    const connected = [];
    for (let i = 0; i < 4; i++) {
      connected.push(
        await connectClient(started.stack().url, { transport: "websocket", localAddress: `127.${60 + i}.0.1` }),
      );
    }
    const clients: TestSocket[] = connected.map((c) => c.socket);
    assert.equal(new Set(connected.map((c) => c.hello.replica)).size, 2, "clients on both replicas");
    const page = await started.browser().newPage();
    try {
      await page.goto(`${started.stack().url}/admin/`);
      await page.getByLabel("Server URL").fill(started.stack().url);
      await page.getByLabel("Username").fill("admin");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByText("connected", { exact: true }).first().waitFor({ timeout: 15_000 });

      await page.goto(`${started.stack().url}/admin/#/servers`);
      for (const replica of ["replica-1", "replica-2"]) {
        for (const worker of [1, 2]) {
          await page.getByText(`${replica}#${worker}`).first().waitFor({ timeout: 15_000 });
        }
      }
      await page.goto(`${started.stack().url}/admin/#/sockets`);
      for (const socket of clients) await page.getByText(socket.id!).first().waitFor({ timeout: 15_000 });
    } finally {
      await page.close();
      closeAll(clients);
    }
  });
});

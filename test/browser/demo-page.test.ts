/**
 * The demo page in a real browser (Debian's Chromium, headless, through playwright-core) on the local stack:
 * it loads under its Content-Security-Policy (`script-src 'self'`) with no console error, uses the client
 * library, shows the cluster, chats with a second tab on the other replica, and when the replica it is on
 * stops, it reconnects to the other one and says nothing was lost.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { stackAndBrowser } from "../helpers/browser.js";

/**
 * What the page functions below use of the browser's DOM (this project compiles without the DOM's types). They
 * run in the page, so each one reaches `document` itself.
 */
interface PageGlobals {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
  };
}

for (const parser of ["default", "msgpack"] as const) {
  describe(`the demo page in Chromium (SOCKET_PARSER=${parser})`, () => {
    const started = stackAndBrowser({ tickIntervalMs: 200, serverEnv: { SOCKET_PARSER: parser } });

    /** A tab of its own for each test (no test leans on another's page), with its console errors. */
    const open = async (url: string, label: string, problems: string[]) => {
      const page = await started.browser().newPage();
      page.on("console", (m) => m.type() === "error" && problems.push(`${label}: ${m.text()}`));
      page.on("pageerror", (err) => problems.push(`${label}: ${err.message}`));
      await page.goto(url);
      await shows(page, "#status", "connected");
      // `hello` names the replica a moment after the connection: read it only once it is there.
      await shows(page, "#replica", "replica-");
      return page;
    };

    const shows = (page: Page, selector: string, text: string, timeout = 10_000) =>
      page.waitForFunction(
        ([s, t]) => ((globalThis as unknown as PageGlobals).document.querySelector(s!)?.textContent ?? "").includes(t!),
        [selector, text],
        { timeout },
      );

    const joinLobby = async (page: Page) => {
      await page.click("#join-form button");
      await shows(page, "#log", "joined lobby");
    };

    test("loads, connects, receives ticks, joins and chats", async () => {
      const problems: string[] = [];
      const page = await open(started.stack().url, "tab", problems);
      try {
        await page.waitForFunction(
          () => Number((globalThis as unknown as PageGlobals).document.querySelector("#ticks")?.textContent) >= 2,
          null,
          { timeout: 10_000 },
        );
        await joinLobby(page);
        await page.fill("#text", "hello from chromium");
        await page.click("#chat-form button");
        await shows(page, "#log", "me: hello from chromium");
        assert.deepEqual(problems, [], "console errors (a CSP violation shows here)");
      } finally {
        await page.close();
      }
    });

    test("a second tab on the other replica: the two chat across replicas; the cluster table shows every worker", async () => {
      const problems: string[] = [];
      const page = await open(started.stack().url, "first tab", problems);
      const first = (await page.textContent("#replica"))!;
      // Both tabs come from 127.0.0.1, so ip_hash would put them on one replica: open the other one directly.
      const other = started.stack().replicas.find((replica) => replica.name !== first)!;
      const second = await open(other.url, "second tab", problems);
      try {
        assert.equal(await second.textContent("#replica"), other.name);
        await joinLobby(page);
        await joinLobby(second);
        await second.fill("#text", "hello from the other replica");
        await second.click("#chat-form button");
        await shows(page, "#log", "hello from the other replica");
        await page.fill("#text", "and back");
        await page.click("#chat-form button");
        await shows(second, "#log", "and back");

        // Every worker of both replicas, this tab's own marked, and the two tabs counted among the clients.
        await page.waitForFunction(
          () => (globalThis as unknown as PageGlobals).document.querySelectorAll("#servers tr").length === 4,
          null,
          { timeout: 10_000 },
        );
        assert.match((await page.textContent("#servers tr.here"))!, new RegExp(`^${first}`));
        await page.waitForFunction(
          () => {
            const cells = Array.from(
              (globalThis as unknown as PageGlobals).document.querySelectorAll("#servers td:last-child"),
            ).map((cell) => Number(cell.textContent));
            return cells.reduce((a, b) => a + b, 0) >= 2;
          },
          null,
          { timeout: 10_000 },
        );
        assert.match((await page.textContent("#servers-note"))!, /2 replicas, 4 workers/);
        assert.deepEqual(problems, []);
      } finally {
        await second.close();
        await page.close();
      }
    });

    test("its replica stops: it moves to the other one and says nothing was lost", async () => {
      const problems: string[] = [];
      const page = await open(started.stack().url, "tab", problems);
      const replica = (await page.textContent("#replica"))!;
      assert.match(replica, /^replica-\d$/);
      try {
        await joinLobby(page);
        assert.equal(await started.stack().stopService(replica), 0);
        await shows(page, "#recovery", "nothing lost", 15_000);
        assert.notEqual(await page.textContent("#replica"), replica);
        assert.deepEqual(problems, []);
      } finally {
        await page.close();
        // Back for whichever test runs next.
        if (!started.stack().isRunning(replica)) await started.stack().startService(replica);
      }
    });
  });
}

/**
 * The demo page in a real browser (Debian's Chromium, headless, through playwright-core) on the local stack:
 * it loads under its Content-Security-Policy (`script-src 'self'`) with no console error, uses the client
 * library, shows the cluster, chats with a second tab on the other replica, and when the replica it is on
 * stops, it reconnects to the other one and says nothing was lost.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { findBinary } from "../../scripts/processes.js";
import { startStack, type Stack } from "../../scripts/stack.js";

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

const CHROMIUM = process.env.CHROMIUM_PATH ?? findBinary("chromium", "apt-get install chromium");

for (const parser of ["default", "msgpack"] as const) {
  describe(`the demo page in Chromium (SOCKET_PARSER=${parser})`, () => {
    let stack: Stack;
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    before(async () => {
      stack = await startStack({
        replicas: 2,
        workers: 2,
        tickIntervalMs: 200,
        logLevel: "warn",
        serverEnv: { SOCKET_PARSER: parser },
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      page = await browser.newPage();
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (err) => problems.push(err.message));
    });
    after(async () => {
      await browser?.close();
      await stack?.stop();
    });

    const shows = (selector: string, text: string, timeout = 10_000, on: Page = page) =>
      on.waitForFunction(
        ([s, t]) => ((globalThis as unknown as PageGlobals).document.querySelector(s!)?.textContent ?? "").includes(t!),
        [selector, text],
        { timeout },
      );

    test("loads, connects, receives ticks, joins and chats", async () => {
      await page.goto(stack.url);
      await shows("#status", "connected");
      await page.waitForFunction(
        () => Number((globalThis as unknown as PageGlobals).document.querySelector("#ticks")?.textContent) >= 2,
        null,
        { timeout: 10_000 },
      );
      await page.click("#join-form button");
      await shows("#log", "joined lobby");
      await page.fill("#text", "hello from chromium");
      await page.click("#chat-form button");
      await shows("#log", "me: hello from chromium");
      assert.deepEqual(problems, [], "console errors (a CSP violation shows here)");
    });

    test("a second tab on the other replica: the two chat across replicas; the cluster table shows every worker", async () => {
      const first = (await page.textContent("#replica"))!;
      // Both tabs come from 127.0.0.1, so ip_hash would put them on one replica: open the other one directly.
      const other = stack.replicas.find((replica) => replica.name !== first)!;
      const second = await browser.newPage();
      second.on("console", (m) => m.type() === "error" && problems.push(`second tab: ${m.text()}`));
      second.on("pageerror", (err) => problems.push(`second tab: ${err.message}`));
      try {
        await second.goto(other.url);
        await shows("#status", "connected", 10_000, second);
        assert.equal(await second.textContent("#replica"), other.name);
        await second.click("#join-form button");
        await shows("#log", "joined lobby", 10_000, second);
        await second.fill("#text", "hello from the other replica");
        await second.click("#chat-form button");
        await shows("#log", "hello from the other replica");
        await page.fill("#text", "and back");
        await page.click("#chat-form button");
        await shows("#log", "and back", 10_000, second);

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
      }
    });

    test("its replica stops: it moves to the other one and says nothing was lost", async () => {
      const replica = (await page.textContent("#replica"))!;
      assert.match(replica, /^replica-\d$/);
      assert.equal(await stack.stopService(replica), 0);
      await shows("#recovery", "nothing lost", 15_000);
      assert.notEqual(await page.textContent("#replica"), replica);
      await stack.startService(replica);
      assert.deepEqual(problems, []);
    });
  });
}

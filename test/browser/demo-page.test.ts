/**
 * The demo page in a real browser (Debian's Chromium, headless, through playwright-core) on the local stack:
 * it loads under its Content-Security-Policy with no console error, uses the client library, chats, and when
 * the replica it is on stops, it reconnects to the other one and says nothing was lost.
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
  document: { querySelector(selector: string): { textContent: string | null } | null };
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

    const shows = (selector: string, text: string, timeout = 10_000) =>
      page.waitForFunction(
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

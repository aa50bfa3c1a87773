/** The local stack and a headless Chromium (Debian's, through playwright-core) for one suite of browser tests. */
import { after, before } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { findBinary } from "../../scripts/processes.js";
import { startStack, type Stack, type StackOptions } from "../../scripts/stack.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? findBinary("chromium", "apt-get install chromium");

/** Starts both before the suite's tests (2 replicas x 2 workers, `options` on top) and stops them after. */
export function stackAndBrowser(options: StackOptions): { stack: () => Stack; browser: () => Browser } {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  before(async () => {
    stack = await startStack({ replicas: 2, workers: 2, logLevel: "warn", ...options });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });
  return { stack: () => stack!, browser: () => browser! };
}

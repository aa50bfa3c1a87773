/**
 * `npm test`: runs the compiled tests with Node's test runner, one file at a time (integration and e2e
 * files start real redis-server, nginx and replicas and open thousands of sockets; running them side by
 * side on a 2-core machine would only measure contention).
 *
 *   npm test                            # everything: services, scripts, client, docs, e2e, browser
 *   npm test -- services/server/app e2e # only the tests under those folders of test/
 *   npm test -- --randomize services    # each file's tests in a random order (Node 24)
 *
 * test/ mirrors the code: test/services/server/app/ tests services/server/app/, and so on; e2e/ runs the
 * whole local stack, browser/ the demo page in headless Chromium, docs/ runs the fork walkthrough
 * (compose/ runs through npm run test:compose).
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_TIMEOUT_MS } from "./processes.js";
import { findTests } from "./test-files.js";

const TEST_ROOT = fileURLToPath(new URL("../test/", import.meta.url));
/** The sources: a compiled test whose .ts file was deleted or renamed must not run from a stale dist/. */
const SOURCE_ROOT = fileURLToPath(new URL("../../test/", import.meta.url));
const SUITES = ["services", "scripts", "client", "deploy", "docs", "e2e", "browser"];

const args = process.argv.slice(2);
/** --randomize: each file's tests in a random order (`--test-randomize`, Node 24), to show that no
 * test depends on another having run first. The seed is printed, to replay an order. */
const randomize = args.includes("--randomize");
const requested = args
  .filter((arg) => arg !== "--randomize")
  .map((folder) => folder.replace(/^test\//, "").replace(/\/$/, ""));
const unknown = requested.filter(
  (folder) => !SUITES.includes(folder.split("/")[0]!) || !existsSync(join(SOURCE_ROOT, folder)),
);
if (unknown.length > 0) {
  console.error(`no such test folder: ${unknown.join(", ")}; folders of test/ under ${SUITES.join(", ")}`);
  process.exit(2);
}

const files = (requested.length > 0 ? requested : SUITES).flatMap((folder) =>
  findTests(join(TEST_ROOT, folder), TEST_ROOT, SOURCE_ROOT),
);
if (files.length === 0) {
  console.error("no test files found: run `npm run build` first");
  process.exit(2);
}
console.error(`running ${files.length} test file(s): ${files.map((f) => relative(TEST_ROOT, f)).join(", ")}`);

// Every temporary folder of this run (stack logs, Redis data, browser profiles) goes under one folder, through
// TMPDIR: removed when the run passes, kept (and named) when it fails. Readable by all, as nginx's workers run
// as another user and must reach the temp folders of the stack's nginx below it.
const runDir = mkdtempSync(join(tmpdir(), "socketio-test-run-"));
chmodSync(runDir, 0o755);
const child = spawn(
  process.execPath,
  [
    "--test",
    "--test-concurrency=1",
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    "--test-reporter=spec",
    ...(randomize ? ["--test-randomize"] : []),
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, TMPDIR: runDir } },
);
child.on("exit", (code, signal) => {
  const failed = code !== 0 || signal !== null;
  if (failed) console.error(`logs of this run kept in ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
  process.exit(code ?? 1);
});

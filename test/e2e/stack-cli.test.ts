/** `npm run stack` as a person runs it: one JSON line on stdout when ready; SIGINT stops everything, exit 0. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { connectClient } from "../helpers/clients.js";
import { isAlive, processTree } from "../helpers/procfs.js";
import { waitFor, within } from "../helpers/wait.js";

const CLI = fileURLToPath(new URL("../../scripts/stack-cli.js", import.meta.url));

interface ReadyLine {
  ready: boolean;
  url: string;
  broadcaster: string;
  token: string;
  redis: string;
  replicas: Array<{ name: string; url: string; pid: number }>;
}

test("the stack CLI prints one ready line, serves, and stops every process on SIGINT with exit 0", async () => {
  const child = spawn(process.execPath, [CLI, "--replicas", "2", "--workers", "1"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, STACK_TICK_INTERVAL_MS: "0" },
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const lines = createInterface({ input: child.stdout! });
    const stdout: string[] = [];
    lines.on("line", (line) => stdout.push(line));
    const first = await within(waitFor<string>(lines, "line", { timeoutMs: 30_000 }), 30_000, "the ready line");
    const ready = JSON.parse(first) as ReadyLine;
    assert.equal(ready.ready, true);
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(ready.broadcaster, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(ready.redis, /^redis:\/\/:[0-9a-f]+@127\.0\.0\.1:\d+$/);
    assert.ok(ready.token.length >= 16);
    assert.deepEqual(
      ready.replicas.map((r) => r.name),
      ["replica-1", "replica-2"],
    );

    const { socket, hello } = await connectClient(ready.url);
    socket.disconnect();
    assert.match(hello.replica, /^replica-[12]$/);

    const tree = processTree([child.pid!]);
    assert.ok(
      tree.length >= 7,
      `expected cli, redis, 2 primaries, 2 workers, broadcaster, nginx; found ${tree.length}`,
    );
    child.kill("SIGINT");
    assert.equal(await within(exited, 30_000, "the CLI to exit"), 0);
    assert.deepEqual(tree.filter(isAlive), [], "processes left behind");
    assert.equal(stdout.length, 1, `stdout should hold exactly one line, got: ${stdout.join(" | ")}`);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

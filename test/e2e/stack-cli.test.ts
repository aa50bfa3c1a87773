/**
 * `npm run stack` as a person runs it: one JSON line on stdout when ready; SIGINT or SIGHUP stops everything,
 * exit 0; killed outright, it leaves nothing running either; a port in use is a clear failure.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { pollUntil } from "../../scripts/processes.js";
import { connectClient } from "../helpers/clients.js";
import { isAlive, processTree } from "../helpers/procfs.js";
import { waitFor, within } from "../helpers/wait.js";

const CLI = fileURLToPath(new URL("../../scripts/stack-cli.js", import.meta.url));

interface ReadyLine {
  ready: boolean;
  url: string;
  broadcaster: string;
  broadcasterMetrics: string;
  token: string;
  redis: string;
  replicas: Array<{ name: string; url: string; pid: number; metrics: string }>;
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

    // Where each /metrics is: loopback ports of their own, answering.
    for (const metrics of [ready.broadcasterMetrics, ...ready.replicas.map((r) => r.metrics)]) {
      assert.match(metrics, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.equal((await fetch(metrics)).status, 200, metrics);
    }
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

/** Starts the CLI and resolves with its ready line and the processes it started. */
async function startCli(args: string[] = []) {
  const child = spawn(process.execPath, [CLI, "--replicas", "1", "--workers", "1", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, STACK_TICK_INTERVAL_MS: "0" },
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const ready = within(
    new Promise<ReadyLine>((resolve, reject) => {
      lines.once("line", (line: string) => resolve(JSON.parse(line) as ReadyLine));
      child.once("exit", (code) => reject(new Error(`the CLI exited (${code}) before its ready line: ${stderr}`)));
    }),
    30_000,
    "the ready line",
  );
  // Awaited by the tests that expect it; the one that expects a failure only waits for the exit.
  ready.catch(() => undefined);
  return { child, exited, ready, stderr: () => stderr };
}

/** Resolves once none of `pids` runs any more (checked as their exits are reaped), or fails naming them. */
async function allGone(pids: number[], what: string) {
  await pollUntil(what, async () => pids.every((pid) => !isAlive(pid)), { timeoutMs: 20_000 });
}

test("SIGHUP (the terminal closed) stops every process, exit 0", async () => {
  const cli = await startCli();
  try {
    await cli.ready;
    const tree = processTree([cli.child.pid!]);
    cli.child.kill("SIGHUP");
    assert.equal(await within(cli.exited, 30_000, "the CLI to exit"), 0);
    assert.deepEqual(tree.filter(isAlive), [], "processes left behind");
  } finally {
    if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
  }
});

test("the CLI killed outright (SIGKILL) leaves nothing running: the kernel tells its children", async () => {
  const cli = await startCli();
  await cli.ready;
  const tree = processTree([cli.child.pid!]).filter((pid) => pid !== cli.child.pid);
  assert.ok(tree.length >= 5, `expected redis, a primary, a worker, broadcaster, nginx; found ${tree.length}`);
  cli.child.kill("SIGKILL");
  await allGone(tree, "every process of the killed CLI to stop");
});

test("a port already in use: the CLI exits 1 naming nginx and its log, and leaves nothing running", async () => {
  // Another server on the port, answering 200 on /healthz as nginx would: it must not pass for ours.
  const squatter = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'),
  );
  await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
  const port = (squatter.address() as AddressInfo).port;
  try {
    const cli = await startCli(["--port", String(port)]);
    const startedBefore = processTree([cli.child.pid!]);
    assert.equal(await within(cli.exited, 40_000, "the CLI to give up"), 1);
    assert.match(cli.stderr(), /stack failed to start: nginx: nginx exited \(1\); see \S+nginx\.log/);
    await allGone(startedBefore, "the processes it had started to stop");
  } finally {
    squatter.close();
  }
});

/**
 * The whole topology from `startStack()`: nginx (ip_hash) -> 2 replicas x 2 workers -> Redis, with the
 * broadcaster publishing. Clients bind distinct 127.N.0.1 source addresses so that ip_hash, which hashes
 * the first three octets, can tell them apart.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startStack, type Stack } from "../../scripts/stack.js";
import { closeAll, connectClient } from "../helpers/clients.js";
import { isAlive, processTree } from "../helpers/procfs.js";
import { times } from "../helpers/wait.js";
import { topologySuite } from "./topology-suite.js";

describe("local stack: nginx -> 2 replicas x 2 workers -> Redis, with the broadcaster", () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      replicas: 2,
      workers: 2,
      tickIntervalMs: 200,
      logLevel: "warn",
      // Round-trip loops send far more than a person would; the limiter has its own test.
      serverEnv: { EVENT_RATE_LIMIT: "10000", EVENT_BURST: "10000" },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const suite = topologySuite(() => ({
    url: stack.url,
    broadcaster: stack.broadcaster,
    token: stack.token,
    // 12 addresses 127.1.0.1 .. 127.12.0.1, all through nginx.
    entries: Array.from({ length: 12 }, (_, i) => ({ url: stack.url, localAddress: `127.${i + 1}.0.1` })),
    replicas: 2,
    workersPerReplica: 2,
  }));

  test("one source address always lands on the same replica (ip_hash)", async () => {
    const first = suite.clients().find((c) => c.entry.localAddress === "127.1.0.1");
    assert.ok(first);
    const again = await times(6, () => connectClient(stack.url, { transport: "websocket", localAddress: "127.1.0.1" }));
    closeAll(again.map((c) => c.socket));
    assert.deepEqual(new Set(again.map((c) => c.hello.replica)), new Set([first.hello.replica]));
  });

  test("nginx starts without alerts (its descriptor limit stays within the hard limit it runs under)", () => {
    const log = readFileSync(join(stack.logDir, "nginx", "error.log"), "utf8");
    assert.doesNotMatch(log, /\[(alert|emerg|crit)\]/);
  });
});

// A stack of its own: stopping the shared one would fail whichever of the tests above ran after it.
describe("stop() of the local stack", () => {
  test("leaves no process behind: Redis, nginx, the broadcaster, every primary and worker", async () => {
    const stack = await startStack({ replicas: 2, workers: 2, tickIntervalMs: 0, logLevel: "warn" });
    try {
      const tree = processTree(stack.services.map((name) => stack.process(name).child.pid!));
      // Every worker is in the tree (their pids come in hello); 16 clients reach all four.
      const clients = await times(16, (i) => connectClient(stack.url, { localAddress: `127.${40 + i}.0.1` }));
      closeAll(clients.map((c) => c.socket));
      const workers = new Set(clients.map((c) => c.hello.pid));
      assert.equal(workers.size, 4, "16 clients over 16 addresses reached every worker");
      for (const pid of workers) assert.ok(tree.includes(pid), `worker ${pid} not found under the stack`);
      await stack.stop();
      const left = tree.filter(isAlive);
      assert.deepEqual(left, [], `still running: ${left.join(", ")}`);
    } finally {
      await stack.stop();
    }
  });
});

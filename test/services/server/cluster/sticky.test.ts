/**
 * The layer patched over @socket.io/sticky (services/server/cluster/: sticky-handoff.ts, session-binding.ts),
 * one fixture per behaviour (test/fixtures/, loaded with `node --import` into a real replica): no Redis (the
 * cluster adapter), no nginx. Each test fails without its fix.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { pollUntil, tree } from "../../../../scripts/processes.js";
import { closeAll, connectClient, request, type TestSocket } from "../../../helpers/clients.js";
import { startReplica } from "../../../helpers/services.js";
import { times, within } from "../../../helpers/wait.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}.js`, import.meta.url));

/** One Engine.IO polling handshake on its own connection: the response's status line, or "closed" without one. */
function handshake(url: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), "127.0.0.1");
    let response = "";
    socket.on("data", (chunk) => (response += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(response.split("\r\n")[0] || "closed"));
    socket.write("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  });
}

test("a booting worker: connections sticky hands it while it loads are held, then served, none lost", async () => {
  // Worker 3 is the first respawn (cluster ids are not reused).
  const replica = await startReplica(
    { WORKERS: "2", LOG_LEVEL: "info", FIXTURE_SLOW_WORKERS: "3", FIXTURE_BOOT_DELAY_MS: "1500" },
    [fixture("slow-worker-start")],
  );
  const clients: TestSocket[] = [];
  try {
    const primary = replica.proc.child.pid!;
    const [victim] = tree([primary]).filter((pid) => pid !== primary);
    process.kill(victim!, "SIGKILL");
    // The respawn exists (so sticky counts it) but loads for 1.5 s.
    await pollUntil("the worker respawned", async () => {
      const workers = tree([primary]).filter((pid) => pid !== primary);
      return workers.length === 2 && !workers.includes(victim!);
    });
    // Round-robin hands about half of these to the loading worker.
    const connected = await within(
      times(8, () => connectClient(replica.url, { transport: "polling" })),
      10_000,
      "every client's hello",
    );
    clients.push(...connected.map((c) => c.socket));
    assert.equal(new Set(connected.map((c) => c.hello.pid)).size, 2, "both workers served clients");
    const log = readFileSync(replica.proc.logFile, "utf8");
    const held = [...log.matchAll(/"msg":"worker ready".*?"heldMessages":(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(
      held.some((n) => n > 0),
      "no connection was held for the loading worker: the fixture did not bite",
    );
  } finally {
    closeAll(clients);
    await replica.stop();
  }
});

test("a worker dying in the middle of hand-offs: every connection it never took is answered or closed at once", async () => {
  const replica = await startReplica({ WORKERS: "2" }, [fixture("die-on-handoff")]);
  try {
    // Worker 1 dies on the first of these it receives; Node holds the ones queued behind it.
    const outcomes = await within(
      Promise.all(Array.from({ length: 16 }, () => handshake(replica.url))),
      5_000,
      "an answer or a close for every connection (without the fix, the queued ones hang)",
    );
    const counts = new Map<string, number>();
    for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    assert.ok((counts.get("HTTP/1.1 200 OK") ?? 0) > 0, `no handshake succeeded: ${[...counts].join(" ")}`);
    assert.ok((counts.get("HTTP/1.1 200 OK") ?? 0) < 16, "worker 1 never died: the fixture did not bite");
    for (const outcome of counts.keys()) {
      assert.match(outcome, /^(HTTP\/1\.1 (200 OK|503 Service Unavailable)|closed)$/);
    }
  } finally {
    await replica.stop();
  }
});

test("the session-binding race: with the primary learning of new sessions late, no client gets `Session ID unknown`", async () => {
  const replica = await startReplica({ WORKERS: "2" }, [fixture("slow-session-announce")]);
  const clients: TestSocket[] = [];
  try {
    // Polling only: the CONNECT packet that follows the handshake is a new request, routed by the primary.
    const connected = await within(
      times(16, () => connectClient(replica.url, { transport: "polling" })),
      15_000,
      "16 polling clients connected",
    );
    clients.push(...connected.map((c) => c.socket));
    for (const { socket, hello } of connected) {
      assert.deepEqual(await request(socket, "whoami"), hello, "a request reached another worker");
    }
  } finally {
    closeAll(clients);
    await replica.stop();
  }
});

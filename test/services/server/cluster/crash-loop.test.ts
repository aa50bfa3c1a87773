/**
 * A worker that dies while starting, over and over: the primary respawns it with a growing delay and says
 * so in its logs (no CPU spin), and the replica reports not ready instead of accepting clients it cannot serve.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../../scripts/processes.js";
import { countdown } from "../../../helpers/wait.js";

const SERVER_MAIN = fileURLToPath(new URL("../../../../services/server/main.js", import.meta.url));
const CRASH = fileURLToPath(new URL("../../../fixtures/crash-worker-on-start.js", import.meta.url));

interface LogLine {
  msg: string;
  delayMs?: number;
  crashes?: number;
}

test("a worker that crashes at start is respawned with backoff, and the replica is not ready", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", CRASH, SERVER_MAIN], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: "127.0.0.1",
      METRICS_PORT: "0",
      WORKERS: "1",
      REPLICA_NAME: "crashy",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const deaths: Array<LogLine & { at: number }> = [];
    const enough = countdown(6, "six respawns", 30_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const record = JSON.parse(line) as LogLine;
      if (record.msg !== "worker died, respawning") return;
      deaths.push({ ...record, at: Date.now() });
      enough.add();
    });
    await enough.done;

    // 0, 100, 200, 400, 800, 1600 ms: an exponential backoff, said in every log line.
    const delays = deaths.map((d) => d.delayMs);
    assert.deepEqual(delays.slice(0, 6), [0, 100, 200, 400, 800, 1600]);
    assert.deepEqual(
      deaths.slice(0, 6).map((d) => d.crashes),
      [1, 2, 3, 4, 5, 6],
    );
    // The deaths really were spaced out by those delays (no spinning).
    const elapsed = deaths[5]!.at - deaths[0]!.at;
    assert.ok(elapsed >= 100 + 200 + 400 + 800, `6 deaths within ${elapsed} ms`);

    // No worker ever gets ready: the replica answers 503 (from sticky, or for a connection its dying worker
    // never took), never a 200.
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 503);
  } finally {
    child.kill("SIGKILL");
  }
});

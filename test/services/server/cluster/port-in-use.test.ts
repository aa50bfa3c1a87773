/**
 * A replica started on a port that another server holds: one clear log line and exit 1. Before, the workers were
 * already forked and died of EPIPE on the primary's closed IPC channel, printing a stack trace after the message.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { startProcess, stopProcess } from "../../../../scripts/processes.js";
import { within } from "../../../helpers/wait.js";

const SERVER_MAIN = fileURLToPath(new URL("../../../../services/server/main.js", import.meta.url));

test("a port in use: `cannot listen`, exit 1, and nothing else printed", async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
  const port = (squatter.address() as AddressInfo).port;
  const log = join(mkdtempSync(join(tmpdir(), "test-port-in-use-")), "server.log");
  const proc = startProcess(
    "server",
    process.execPath,
    [SERVER_MAIN],
    {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: "127.0.0.1",
      METRICS_PORT: "0",
      WORKERS: "2",
      REPLICA_NAME: "late",
    },
    log,
  );
  try {
    assert.equal(await within(proc.exited, 20_000, "the replica to give up"), 1);
    // Its output ends when every process holding it has gone: workers forked too early would still be writing.
    await within(
      new Promise((resolve) =>
        proc.child.stdout!.closed ? resolve(undefined) : proc.child.stdout!.once("close", resolve),
      ),
      20_000,
      "every process of the replica to end",
    );
    const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
    assert.equal(lines.length, 1, lines.join("\n"));
    const record = JSON.parse(lines[0]!) as { level: string; msg: string; port: number };
    assert.deepEqual([record.level, record.msg, record.port], ["error", "cannot listen", port]);
  } finally {
    await stopProcess(proc);
    squatter.close();
  }
});

/** One clustered replica (primary + workers) as a child process, started with `node` on the compiled JS. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  freePort,
  httpOk,
  pollUntil,
  startProcess,
  stopProcess,
  type ManagedProcess,
} from "../../scripts/processes.js";

const SERVER_MAIN = fileURLToPath(new URL("../../services/server/main.js", import.meta.url));

export interface TestReplica {
  url: string;
  proc: ManagedProcess;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | string>;
}

export async function startReplica(env: Record<string, string>): Promise<TestReplica> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "test-replica-"));
  const proc = startProcess(
    "replica",
    process.execPath,
    [SERVER_MAIN],
    {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: "127.0.0.1",
      REPLICA_NAME: "test-replica",
      LOG_LEVEL: "warn",
      ...env,
    },
    join(dir, "replica.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  await pollUntil("replica /readyz", () => httpOk(`${url}/readyz`), { proc, timeoutMs: 20_000 });
  return { url, proc, stop: () => stopProcess(proc) };
}

/** A real redis-server on a free loopback port, for integration tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findBinary,
  freePort,
  pollUntil,
  redisPing,
  startProcess,
  stopProcess,
  type ManagedProcess,
} from "../../scripts/processes.js";

export interface TestRedis {
  url: string;
  port: number;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const bin = findBinary("redis-server", "apt-get install redis-server");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "test-redis-"));
  const proc = startProcess(
    "redis",
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {},
    join(dir, "redis.log"),
  );
  await pollUntil("redis", () => redisPing(port), { proc, timeoutMs: 10_000 });
  return { url: `redis://127.0.0.1:${port}`, port, proc, stop: async () => void (await stopProcess(proc)) };
}

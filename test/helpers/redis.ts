/** A real redis-server on a free loopback port, for integration tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findBinary,
  freePort,
  pollUntil,
  redisArgs,
  redisPid,
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

/** A redis-server on a free port; with `password`, it requires it (`url` then carries it). */
export async function startRedis({ password }: { password?: string } = {}): Promise<TestRedis> {
  const bin = findBinary("redis-server", "apt-get install redis-server");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "test-redis-"));
  const proc = startProcess("redis", bin, redisArgs(port, password), {}, join(dir, "redis.log"));
  await pollUntil("redis", async () => (await redisPid(port, "127.0.0.1", password)) === proc.child.pid, {
    proc,
    timeoutMs: 10_000,
  });
  const auth = password ? `:${password}@` : "";
  return { url: `redis://${auth}127.0.0.1:${port}`, port, proc, stop: async () => void (await stopProcess(proc)) };
}

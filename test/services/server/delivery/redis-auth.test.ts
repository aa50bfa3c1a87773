/**
 * Wrong Redis credentials are a configuration error: a replica and the broadcaster stop with a clear message
 * and exit 78 (EX_CONFIG), like any other invalid setting, instead of crash-looping. Before, every worker got
 * ready, died of an unhandled NOAUTH rejection and was respawned at once: 23 deaths in 16 s, all `delayMs: 0`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort, startProcess, stopProcess } from "../../../../scripts/processes.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";
import { within } from "../../../helpers/wait.js";

const MAIN = {
  server: fileURLToPath(new URL("../../../../services/server/main.js", import.meta.url)),
  broadcaster: fileURLToPath(new URL("../../../../services/broadcaster/main.js", import.meta.url)),
};

describe("wrong Redis credentials", () => {
  let redis: TestRedis;

  before(async () => {
    redis = await startRedis({ password: "the-right-password" });
  });
  after(async () => {
    await redis?.stop();
  });

  /** Runs a service until it exits by itself; resolves with its exit code and log lines. */
  const runUntilExit = async (service: keyof typeof MAIN, env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "test-redis-auth-"));
    const proc = startProcess(
      service,
      process.execPath,
      [MAIN[service]],
      { PATH: process.env.PATH, LOG_LEVEL: "info", METRICS_PORT: "0", ...env },
      join(dir, `${service}.log`),
    );
    try {
      const code = await within(proc.exited, 20_000, `${service} to stop by itself`);
      const lines = readFileSync(proc.logFile, "utf8").split("\n").filter(Boolean);
      return { code, lines };
    } finally {
      await stopProcess(proc);
    }
  };
  const replicaEnv = async (url: string) => ({
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    WORKERS: "2",
    REPLICA_NAME: "wrong-password",
    REDIS_URL: url,
  });

  for (const [what, url] of [
    ["a wrong password", () => redis.url.replace("the-right-password", "a-wrong-password")],
    ["no password", () => redis.url.replace(":the-right-password@", "")],
  ] as const) {
    test(`a replica given ${what} stops with exit 78 and says why, without respawning workers`, async () => {
      const { code, lines } = await runUntilExit("server", await replicaEnv(url()));
      assert.equal(code, 78, lines.join("\n"));
      const text = lines.join("\n");
      assert.match(text, /Redis refused the credentials in REDIS_URL: fix the password/);
      assert.match(text, /a worker stopped on a configuration error: stopping the replica/);
      assert.doesNotMatch(text, /worker died, respawning/);
      assert.doesNotMatch(text, /the-right-password|a-wrong-password/, "a password reached the logs");
    });
  }

  test("the broadcaster given a wrong password stops with exit 78 and says why", async () => {
    const { code, lines } = await runUntilExit("broadcaster", {
      BROADCASTER_PORT: String(await freePort()),
      REDIS_URL: redis.url.replace("the-right-password", "a-wrong-password"),
    });
    assert.equal(code, 78, lines.join("\n"));
    assert.match(lines.join("\n"), /Redis refused the credentials in REDIS_URL/);
  });
});

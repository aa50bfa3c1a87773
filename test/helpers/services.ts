/** The project's services as child processes, started with `node` on the compiled JS as in production. */
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

const MAIN = {
  server: fileURLToPath(new URL("../../services/server/main.js", import.meta.url)),
  broadcaster: fileURLToPath(new URL("../../services/broadcaster/main.js", import.meta.url)),
};

export interface TestService {
  url: string;
  proc: ManagedProcess;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | string>;
}

/** Starts a service's process; it may not be listening yet. */
async function launchService(
  service: keyof typeof MAIN,
  env: Record<string, string>,
  preload: readonly string[] = [],
): Promise<TestService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `test-${service}-`));
  // METRICS_PORT=0: a free port, as several of them may run at once (a test that reads /metrics sets one).
  const portEnv =
    service === "server"
      ? { PORT: String(port), HOST: "127.0.0.1", METRICS_PORT: "0" }
      : { BROADCASTER_PORT: String(port), METRICS_PORT: "0" };
  const proc = startProcess(
    service,
    process.execPath,
    [...preload.flatMap((module) => ["--import", module]), MAIN[service]],
    { PATH: process.env.PATH, LOG_LEVEL: "warn", ...portEnv, ...env },
    join(dir, `${service}.log`),
  );
  return { url: `http://127.0.0.1:${port}`, proc, stop: () => stopProcess(proc) };
}

async function startService(
  service: keyof typeof MAIN,
  env: Record<string, string>,
  ready: (url: string) => Promise<boolean>,
  preload: readonly string[] = [],
): Promise<TestService> {
  const started = await launchService(service, env, preload);
  await pollUntil(`${service} ready`, () => ready(started.url), { proc: started.proc, timeoutMs: 20_000 });
  return started;
}

/**
 * A replica (primary + WORKERS workers); ready when /readyz answers 200. `preload`: modules loaded with
 * `node --import` into the primary and every worker (test/fixtures/).
 */
export function startReplica(env: Record<string, string>, preload: readonly string[] = []): Promise<TestService> {
  return startService("server", { REPLICA_NAME: "test-replica", ...env }, (url) => httpOk(`${url}/readyz`), preload);
}

/** A replica, not waited for: for tests that watch what it does before it is ready (read its log). */
export function launchReplica(env: Record<string, string>): Promise<TestService> {
  return launchService("server", { REPLICA_NAME: "test-replica", ...env });
}

/** The broadcaster; ready when /healthz answers (Redis may be down on purpose). */
export function startBroadcaster(env: Record<string, string>): Promise<TestService> {
  return startService("broadcaster", { TICK_INTERVAL_MS: "0", ...env }, (url) => httpOk(`${url}/healthz`));
}

/**
 * The whole topology on loopback, without Docker: redis-server, R replicas of W workers, the broadcaster
 * and nginx, on free ports. `npm run stack` for people; `startStack()` for tests.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderNginxConfig, renderStandaloneConfig, type NginxBalance } from "./nginx-config.js";
import {
  findBinary,
  freePort,
  httpOk,
  pollUntil,
  redisPing,
  startProcess,
  stopProcess,
  type ManagedProcess,
} from "./processes.js";

const SERVER_MAIN = fileURLToPath(new URL("../services/server/main.js", import.meta.url));
const BROADCASTER_MAIN = fileURLToPath(new URL("../services/broadcaster/main.js", import.meta.url));

export interface StackOptions {
  /** @default 2 */
  replicas?: number;
  /** Workers per replica. @default 2 */
  workers?: number;
  /** nginx's port; 0 picks a free one. @default 0 */
  port?: number;
  /** The broadcaster API's port; 0 picks a free one. @default 0 */
  broadcasterPort?: number;
  /** @default 1000; 0 turns ticks off */
  tickIntervalMs?: number;
  /** @default "ip_hash" */
  balance?: NginxBalance;
  /** The broadcaster's bearer token. @default random */
  token?: string;
  /** Extra environment for every replica (PING_INTERVAL_MS, MAX_HTTP_BUFFER_SIZE, ...). */
  serverEnv?: Record<string, string>;
  /** Where each process's log goes. @default a new folder under the OS temp dir */
  logDir?: string;
  /** @default "info" */
  logLevel?: string;
  /** How long startup may take. @default 30000 */
  startTimeoutMs?: number;
}

export interface ReplicaInfo {
  name: string;
  url: string;
  pid: number;
}

export interface Stack {
  /** nginx: where clients connect. */
  url: string;
  /** The broadcaster's HTTP API. */
  broadcaster: string;
  token: string;
  /** REDIS_URL, password included. */
  redis: string;
  replicas: ReplicaInfo[];
  logDir: string;
  /** The running processes, for tests that inject faults. */
  processes: { redis: ManagedProcess; replicas: ManagedProcess[]; broadcaster: ManagedProcess; nginx: ManagedProcess };
  /** Stops everything it started (nginx first, Redis last); safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const redisBin = findBinary("redis-server", "Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis");
  const nginxBin = findBinary("nginx", "Debian/Ubuntu: apt-get install nginx-light; macOS: brew install nginx");
  const replicaCount = options.replicas ?? 2;
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), "socketio-stack-"));
  mkdirSync(logDir, { recursive: true });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const token = options.token ?? randomBytes(24).toString("hex");
  const redisPassword = randomBytes(16).toString("hex");
  const started: ManagedProcess[] = [];
  const start = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const proc = startProcess(name, command, args, env, join(logDir, `${name}.log`));
    started.push(proc);
    return proc;
  };
  // Stop in reverse start order: nginx, broadcaster, replicas, then Redis.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const proc of [...started].reverse()) await stopProcess(proc);
    })());

  try {
    const redisPort = await freePort();
    // The password travels in argv only on this machine's loopback stack; Compose uses a secret file.
    const redis = start(
      "redis",
      redisBin,
      [
        "--port",
        String(redisPort),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--requirepass",
        redisPassword,
      ],
      {},
    );
    await pollUntil("redis", () => redisPing(redisPort, "127.0.0.1", redisPassword), { timeoutMs, proc: redis });
    const redisUrl = `redis://:${redisPassword}@127.0.0.1:${redisPort}`;

    const replicaPorts = await Promise.all(Array.from({ length: replicaCount }, () => freePort()));
    const replicas = replicaPorts.map((port, i) =>
      start(`replica-${i + 1}`, process.execPath, [SERVER_MAIN], {
        ...baseEnv(),
        PORT: String(port),
        HOST: "127.0.0.1",
        WORKERS: String(options.workers ?? 2),
        REPLICA_NAME: `replica-${i + 1}`,
        REDIS_URL: redisUrl,
        LOG_LEVEL: options.logLevel ?? "info",
        ...options.serverEnv,
      }),
    );
    await Promise.all(
      replicas.map((proc, i) =>
        pollUntil(`${proc.name} /readyz`, () => httpOk(`http://127.0.0.1:${replicaPorts[i]}/readyz`), {
          timeoutMs,
          proc,
        }),
      ),
    );

    const broadcasterPort = options.broadcasterPort || (await freePort());
    const broadcaster = start("broadcaster", process.execPath, [BROADCASTER_MAIN], {
      ...baseEnv(),
      BROADCASTER_PORT: String(broadcasterPort),
      BROADCASTER_HOST: "127.0.0.1",
      BROADCASTER_TOKEN: token,
      REDIS_URL: redisUrl,
      TICK_INTERVAL_MS: String(options.tickIntervalMs ?? 1000),
      LOG_LEVEL: options.logLevel ?? "info",
    });
    const broadcasterUrl = `http://127.0.0.1:${broadcasterPort}`;
    await pollUntil("broadcaster", () => broadcasterReady(broadcasterUrl), { timeoutMs, proc: broadcaster });

    const nginxPort = options.port || (await freePort());
    const nginxDir = join(logDir, "nginx");
    mkdirSync(nginxDir, { recursive: true });
    writeFileSync(
      join(nginxDir, "socketio.conf"),
      renderNginxConfig({
        listen: `127.0.0.1:${nginxPort}`,
        upstreams: replicaPorts.map((port) => `127.0.0.1:${port}`),
        balance: options.balance ?? "ip_hash",
        pingIntervalMs: Number(options.serverEnv?.PING_INTERVAL_MS ?? 25_000),
        pingTimeoutMs: Number(options.serverEnv?.PING_TIMEOUT_MS ?? 20_000),
      }),
    );
    writeFileSync(join(nginxDir, "nginx.conf"), renderStandaloneConfig(nginxDir, join(nginxDir, "socketio.conf")));
    const nginx = start(
      "nginx",
      nginxBin,
      ["-p", nginxDir, "-c", join(nginxDir, "nginx.conf"), "-g", "daemon off;"],
      {},
    );
    const url = `http://127.0.0.1:${nginxPort}`;
    await pollUntil("nginx", () => httpOk(`${url}/healthz`), { timeoutMs, proc: nginx });

    return {
      url,
      broadcaster: broadcasterUrl,
      token,
      redis: redisUrl,
      replicas: replicas.map((proc, i) => ({
        name: proc.name,
        url: `http://127.0.0.1:${replicaPorts[i]}`,
        pid: proc.child.pid ?? 0,
      })),
      logDir,
      processes: { redis, replicas, broadcaster, nginx },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The parent's environment minus what would change a child's behaviour by accident. */
function baseEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, ...env } = process.env;
  return env;
}

async function broadcasterReady(url: string): Promise<boolean> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { redis?: string };
  return res.ok && body.redis === "ready";
}

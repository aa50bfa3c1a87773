/**
 * The whole topology on loopback, without Docker: redis-server, R replicas of W workers, the broadcaster
 * and nginx, on free ports. `npm run stack` for people; `startStack()` for tests.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeLocalNginx, type NginxBalance } from "./nginx-config.js";
import { EnvReader } from "../services/shared/config.js";
import {
  findBinary,
  freePort,
  httpJson,
  pollUntil,
  redisArgs,
  redisPid,
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
  /** nginx worker_processes. @default 2 */
  nginxWorkers?: number;
  /** nginx: new Engine.IO sessions per second per client address, and at once. @default 20 and 200 */
  handshakeRate?: number;
  handshakeBurst?: number;
  /** The broadcaster's bearer token. @default random */
  token?: string;
  /** Extra environment for every replica (PING_INTERVAL_MS, MAX_HTTP_BUFFER_SIZE, ...). */
  serverEnv?: Record<string, string>;
  /** Extra environment for the broadcaster. */
  broadcasterEnv?: Record<string, string>;
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
  /** Its `/metrics` (the primary's, for all its workers), on loopback; never behind nginx. */
  metrics: string;
}

export interface Stack {
  /** nginx: where clients connect. */
  url: string;
  /** The broadcaster's HTTP API. */
  broadcaster: string;
  /** The broadcaster's `/metrics`. */
  broadcasterMetrics: string;
  token: string;
  /** REDIS_URL, password included. */
  redis: string;
  /** Where Redis keeps its append-only file (delete it while Redis is stopped to restart it empty). */
  redisDir: string;
  replicas: ReplicaInfo[];
  logDir: string;
  /** "redis", "replica-1" … "replica-N", "broadcaster", "nginx", in start order. */
  services: string[];
  /** The running process of a service (a new one after `startService`). */
  process(name: string): ManagedProcess;
  /** SIGTERM and wait (SIGKILL after 10 s); resolves with its exit code. For faults and rolling restarts. */
  stopService(name: string): Promise<number | string>;
  /** Sends `signal` to the service's whole process group (a replica's primary and workers), without waiting. */
  signalService(name: string, signal: NodeJS.Signals): void;
  /** Starts a stopped service again, same ports and settings, and resolves when it is healthy. */
  startService(name: string): Promise<void>;
  /** Whether the service's process runs (it may not be healthy yet). */
  isRunning(name: string): boolean;
  /** Stops everything it started (nginx first, Redis last); safe to call twice. */
  stop(): Promise<void>;
}

interface Service {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  ready: (proc: ManagedProcess) => Promise<void>;
  proc?: ManagedProcess;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const redisBin = findBinary("redis-server", "Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis");
  const nginxBin = findBinary("nginx", "Debian/Ubuntu: apt-get install nginx-light; macOS: brew install nginx");
  const replicaCount = options.replicas ?? 2;
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), "socketio-stack-"));
  mkdirSync(logDir, { recursive: true });
  // Started as root, nginx runs its workers as `nobody`; they must reach the temp folders below, where
  // request bodies over 16 KiB are buffered (a 0700 temp dir would turn those into 500s).
  chmodSync(logDir, 0o755);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const token = options.token ?? randomBytes(24).toString("hex");
  const redisPassword = randomBytes(16).toString("hex");
  const logLevel = options.logLevel ?? "info";
  const redisDir = join(logDir, "redis-data");

  const services = new Map<string, Service>();
  const get = (name: string): Service => {
    const service = services.get(name);
    if (!service) throw new Error(`no service ${name} (have: ${[...services.keys()].join(", ")})`);
    return service;
  };
  const launch = async (name: string) => {
    const service = get(name);
    service.proc = startProcess(name, service.command, service.args, service.env, join(logDir, `${name}.log`));
    await service.ready(service.proc);
  };
  const define = (name: string, service: Service) => services.set(name, service);
  const running = (name: string) => {
    const proc = get(name).proc;
    return proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
  };
  // Stop in reverse start order: nginx, broadcaster, replicas, then Redis.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const service of [...services.values()].reverse()) if (service.proc) await stopProcess(service.proc);
    })());

  try {
    const redisPort = await freePort();
    mkdirSync(redisDir, { recursive: true });
    const redisUrl = `redis://:${redisPassword}@127.0.0.1:${redisPort}`;
    // The password is in argv only on this loopback stack; Compose passes it in a config file.
    define("redis", {
      command: redisBin,
      // Persistent (append-only file), so that the history survives a restart of Redis, as in Compose.
      args: redisArgs(redisPort, redisPassword, redisDir),
      env: {},
      // Every probe checks that the process answering is the one just started, not another on that port.
      ready: (proc) =>
        pollUntil("redis", async () => (await redisPid(redisPort, "127.0.0.1", redisPassword)) === proc.child.pid, {
          timeoutMs,
          proc,
        }),
    });
    await launch("redis");

    const replicaPorts = await Promise.all(Array.from({ length: replicaCount }, () => freePort()));
    const metricsPorts = await Promise.all(Array.from({ length: replicaCount + 1 }, () => freePort()));
    const nginxPort = options.port || (await freePort());
    const url = `http://127.0.0.1:${nginxPort}`;
    replicaPorts.forEach((port, i) =>
      define(`replica-${i + 1}`, {
        command: process.execPath,
        args: [SERVER_MAIN],
        env: {
          ...baseEnv(),
          PORT: String(port),
          HOST: "127.0.0.1",
          METRICS_PORT: String(metricsPorts[i]),
          WORKERS: String(options.workers ?? 2),
          REPLICA_NAME: `replica-${i + 1}`,
          REDIS_URL: redisUrl,
          // Browsers load the page from nginx, under either name, or from this replica directly (its URL is in
          // the ready line).
          ALLOWED_ORIGINS: `${url},http://localhost:${nginxPort},http://127.0.0.1:${port}`,
          LOG_LEVEL: logLevel,
          ...options.serverEnv,
        },
        ready: (proc) =>
          pollUntil(
            `${proc.name} /readyz`,
            async () => (await httpJson(`http://127.0.0.1:${port}/readyz`))?.primaryPid === proc.child.pid,
            { timeoutMs, proc },
          ),
      }),
    );
    await Promise.all(replicaPorts.map((_, i) => launch(`replica-${i + 1}`)));

    const broadcasterPort = options.broadcasterPort || (await freePort());
    const broadcasterUrl = `http://127.0.0.1:${broadcasterPort}`;
    define("broadcaster", {
      command: process.execPath,
      args: [BROADCASTER_MAIN],
      env: {
        ...baseEnv(),
        BROADCASTER_PORT: String(broadcasterPort),
        BROADCASTER_HOST: "127.0.0.1",
        METRICS_PORT: String(metricsPorts[replicaCount]),
        BROADCASTER_TOKEN: token,
        REDIS_URL: redisUrl,
        TICK_INTERVAL_MS: String(options.tickIntervalMs ?? 1000),
        LOG_LEVEL: logLevel,
        ...options.broadcasterEnv,
      },
      ready: (proc) =>
        pollUntil(
          "broadcaster",
          async () => {
            const health = await httpJson(`${broadcasterUrl}/healthz`);
            return health?.pid === proc.child.pid && health?.redis === "ready";
          },
          { timeoutMs, proc },
        ),
    });
    await launch("broadcaster");

    const nginxDir = join(logDir, "nginx");
    const nginxInstance = `stack-${randomBytes(6).toString("hex")}`;
    // What the replicas were given, read as they read it, so nginx's timeouts and body limit follow theirs
    // (an invalid value has already stopped the replicas, with the message).
    const replicaSettings = new EnvReader({ ...baseEnv(), ...options.serverEnv });
    mkdirSync(nginxDir, { recursive: true });
    const nginxArgs = writeLocalNginx(
      nginxDir,
      {
        listen: `127.0.0.1:${nginxPort}`,
        upstreams: replicaPorts.map((port) => `127.0.0.1:${port}`),
        balance: options.balance ?? "ip_hash",
        pingIntervalMs: replicaSettings.integer("PING_INTERVAL_MS"),
        pingTimeoutMs: replicaSettings.integer("PING_TIMEOUT_MS"),
        maxHttpBufferSize: replicaSettings.integer("MAX_HTTP_BUFFER_SIZE"),
        instance: nginxInstance,
        ...(options.handshakeRate ? { handshakeRate: options.handshakeRate } : {}),
        ...(options.handshakeBurst !== undefined ? { handshakeBurst: options.handshakeBurst } : {}),
      },
      options.nginxWorkers ?? 2,
    );
    define("nginx", {
      command: nginxBin,
      args: nginxArgs,
      env: {},
      ready: (proc) =>
        pollUntil("nginx", async () => (await httpJson(`${url}/healthz`))?.instance === nginxInstance, {
          timeoutMs,
          proc,
        }),
    });
    await launch("nginx");

    return {
      url,
      broadcaster: broadcasterUrl,
      broadcasterMetrics: `http://127.0.0.1:${metricsPorts[replicaCount]}/metrics`,
      token,
      redis: redisUrl,
      redisDir,
      replicas: replicaPorts.map((port, i) => ({
        name: `replica-${i + 1}`,
        url: `http://127.0.0.1:${port}`,
        pid: get(`replica-${i + 1}`).proc?.child.pid ?? 0,
        metrics: `http://127.0.0.1:${metricsPorts[i]}/metrics`,
      })),
      logDir,
      services: [...services.keys()],
      process: (name) => {
        const proc = get(name).proc;
        if (!proc) throw new Error(`${name} was never started`);
        return proc;
      },
      stopService: async (name) => {
        const proc = get(name).proc;
        return proc ? stopProcess(proc) : "not started";
      },
      signalService: (name, signal) => {
        const pid = get(name).proc?.child.pid;
        // Detached children lead their own process group: -pid reaches the primary and its workers.
        if (pid) process.kill(-pid, signal);
      },
      startService: async (name) => {
        if (running(name)) throw new Error(`${name} is still running (pid ${get(name).proc!.child.pid})`);
        await launch(name);
      },
      isRunning: running,
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

/** Small process and network helpers for the local stack and the test harness. */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, createWriteStream, readdirSync, readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { delimiter, join } from "node:path";

/**
 * Where the kernel starts picking the local ports of outgoing connections (Linux's `ip_local_port_range`;
 * elsewhere the start of the IANA range most systems use).
 */
export function ephemeralPortStart(): number {
  try {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(start)) return start;
  } catch {
    // not Linux
  }
  return 49152;
}

/** How many ports below the ephemeral range freePort picks from. */
const FREE_PORT_SPAN = 16_384;
/** Ports this process handed out, so two calls before either port is bound never return the same one. */
const handedOut = new Set<number>();

/** Listens on `port` (0: the kernel picks one), closes, and resolves with the port it had. */
function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * A port that was free a moment ago, for a process about to listen on it. Chosen below the kernel's ephemeral
 * range: a port the kernel picks (`listen(0)`) comes from that range, where any outgoing connection opened
 * before the process binds can take it. The benchmark opens thousands: a broadcaster's port and an nginx port
 * were taken that way (EADDRINUSE, tuning.md). Another process's listener can still take it first; the launch
 * fails loudly then.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const low = ephemeralPortStart();
  const from = Math.max(1024, low - FREE_PORT_SPAN);
  const span = low - from;
  // A range that starts too low to leave room below it: the kernel's choice, as before.
  if (span < 1024) return listenOnce(0, host);
  // A random start and then in order, as the kernel does, so concurrent test processes rarely meet.
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = from + ((start + i) % span);
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the check: concurrent calls skip it meanwhile
    if (
      await listenOnce(port, host).then(
        () => true,
        () => false,
      )
    )
      return port;
    handedOut.delete(port);
  }
  throw new Error(`no free port between ${from} and ${low - 1}`);
}

/** Finds `name` on PATH (and in the sbin folders, where Debian puts nginx), or says what to install. */
export function findBinary(name: string, installHint: string): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH: install it (${installHint})`);
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();
// Last resort if the parent dies without stopping its children (an uncaught error in a test, say).
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Where Linux's `setpriv` is, if anywhere: it starts a command with a "parent death signal", so that the kernel
 * sends it SIGTERM when this process dies, however it dies (SIGKILL included). Elsewhere (macOS) children
 * outlive a parent that is killed outright.
 * @see https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html
 */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/**
 * Starts a child whose stdout and stderr go to `logFile`. It gets SIGTERM when this process dies (where `setpriv`
 * exists): a closed terminal, or a harness killed outright, leaves nothing running.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): ManagedProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  // detached: its own process group, so a Ctrl+C meant for the stack does not reach every child at once
  // and the stack can stop them in order. setpriv execs the command: the pid is the command's.
  const [file, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "TERM", "--", command, ...args]] : [command, args];
  const child = spawn(file, argv, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  running.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
    child.once("error", (err) => {
      running.delete(child);
      log.write(`failed to start: ${err.message}\n`);
      resolve("spawn-error");
    });
  });
  return { name, child, logFile, exited };
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how it exited. */
export async function stopProcess(proc: ManagedProcess, timeoutMs = 10_000): Promise<number | string> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited;
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), timeoutMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/**
 * Polls `check` until it returns true, failing with `what` after `timeoutMs`, or at once when
 * `proc` exits first. For the harness's readiness probes; tests wait for events instead.
 */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  {
    timeoutMs = 30_000,
    intervalMs = 50,
    proc,
  }: { timeoutMs?: number; intervalMs?: number; proc?: ManagedProcess } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | string | undefined;
  void proc?.exited.then((code) => (exited = code));
  for (;;) {
    if (await check().catch(() => false)) return;
    if (exited !== undefined) throw new Error(`${what}: ${proc?.name} exited (${exited}); see ${proc?.logFile}`);
    if (Date.now() > deadline)
      throw new Error(`${what}: not ready after ${timeoutMs} ms${proc ? `; see ${proc.logFile}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** GET `url`, true on a 200. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.status === 200;
}

/** GET `url` as JSON; 200 only, else undefined. */
export async function httpJson(url: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (res.status !== 200) {
    await res.arrayBuffer();
    return undefined;
  }
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The pid of the Redis server on `port` (`INFO server`), authenticating with `password`; undefined when none
 * answers. For a probe that must know the server answering is the one it started.
 */
export function redisPid(port: number, host = "127.0.0.1", password?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let text = "";
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once("error", () => resolve(undefined));
    socket.once("close", () => resolve(undefined));
    socket.once("connect", () => socket.write(`${password ? `AUTH ${password}\r\n` : ""}INFO server\r\n`));
    socket.on("data", (chunk) => {
      text += chunk.toString();
      const match = /process_id:(\d+)/.exec(text);
      if (!match) return;
      resolve(Number(match[1]));
      socket.destroy();
    });
  });
}

/**
 * redis-server's arguments for a loopback instance; with a password, it requires it. Without `dataDir` nothing
 * is persisted; with it, an append-only file there keeps the data across a restart.
 */
export function redisArgs(port: number, password?: string, dataDir?: string): string[] {
  return [
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", ""],
    ...(dataDir ? ["--appendonly", "yes", "--dir", dataDir] : ["--appendonly", "no"]),
    ...(password ? ["--requirepass", password] : []),
  ];
}

/** `roots` and all their descendants, from /proc (Linux): what a stop must leave behind, or what to measure. */
export function tree(roots: readonly number[]): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const result = new Set(roots.filter((pid) => parents.has(pid)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!result.has(pid) && result.has(parent)) {
        result.add(pid);
        grew = true;
      }
    }
  }
  return [...result];
}

/** No single test (or hook) may take longer: a hang fails loudly, naming the test. Used by both test runners. */
export const TEST_TIMEOUT_MS = 120_000;

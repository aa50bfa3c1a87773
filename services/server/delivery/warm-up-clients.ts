import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { withTimeout } from "../../shared/signals.js";
import type { ClientsArgs, FromClients, ToClients } from "./warm-up-client-process.js";

/** The child's entry point, beside this file in the build. */
const CLIENT_PROCESS = new URL("./warm-up-client-process.js", import.meta.url);

/**
 * The warm-up's clients, as the worker sees them: a child process it forks for the warm-up (and ends with it)
 * that opens the loopback WebSockets and counts what arrives on them.
 *
 * Why a process of their own: `ws` runs the same code for both ends of a connection (framing, the receiver,
 * the sender), so clients in the worker's own event loop teach V8 the client side's shapes in the very
 * functions the server then runs for real clients. Measured with the benchmark (tuning.md, "Issue 13, tenth
 * session", eight rounds): with the clients in the worker, the steady CPU per message after the warm-up was
 * 10-15% higher than with no warm-up; with them here, within 3% of it, and the cold window as short.
 */
export class WarmUpClients {
  private child: ChildProcess | undefined;
  /** Broadcasts (by index) every joined socket has received, and those that reached at least one. */
  private readonly reached = new Set<number>();
  private readonly arrived = new Set<number>();
  private waiter: { broadcast: number; resolve: (ok: boolean) => void } | undefined;

  constructor(private readonly connectPacket: string | Buffer) {}

  /** The client process's pid, once forked. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Forks the client process and resolves with how many sockets joined the namespace (0: none, or no process). */
  async connect(url: string, count: number, timeoutMs: number): Promise<number> {
    const args: ClientsArgs = {
      url,
      count,
      timeoutMs,
      connectPacket: Buffer.from(this.connectPacket).toString("base64"),
      binary: typeof this.connectPacket !== "string",
    };
    // No execArgv: the worker's flags (an inspector, --cpu-prof) are not the clients'.
    const child = fork(CLIENT_PROCESS, [JSON.stringify(args)], {
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child = child;
    const joined = new Promise<number>((resolve) => {
      child.on("message", (message: FromClients) => {
        if (message.type === "joined") return resolve(message.joined);
        (message.type === "reached" ? this.reached : this.arrived).add(message.broadcast);
        if (this.waiter && this.reached.has(this.waiter.broadcast)) this.waiter.resolve(true);
      });
      child.once("exit", () => {
        resolve(0);
        this.waiter?.resolve(false);
      });
      // A fork that fails (no such file, no memory) emits "error" and, maybe, no "exit"; so does a send or a
      // kill that fails later. `on`, not `once`: an "error" without a listener would end the worker.
      child.on("error", () => resolve(0));
    });
    // Its own timeout per socket ends it with what joined; this one is for a process that never answers.
    return withTimeout(joined, timeoutMs + 1_000, "warm-up clients joining").catch(() => 0);
  }

  /** Whether at least one socket has received broadcast `broadcast` (the process says so before "reached"). */
  hasArrived(broadcast: number): boolean {
    return this.arrived.has(broadcast);
  }

  /** Resolves true when every joined socket has received broadcast `broadcast`, false after `timeoutMs`. */
  reachedAll(broadcast: number, timeoutMs: number): Promise<boolean> {
    if (this.reached.has(broadcast)) return Promise.resolve(true);
    if (!this.child?.connected) return Promise.resolve(false);
    const reached = new Promise<boolean>((resolve) => (this.waiter = { broadcast, resolve }));
    return withTimeout(reached, timeoutMs, "warm-up broadcast")
      .catch(() => false)
      .finally(() => (this.waiter = undefined));
  }

  /** Asks the process to close its sockets and exit; kills it if it has not within `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    if (child.connected) child.send({ type: "close" } satisfies ToClients);
    else child.kill("SIGKILL");
    await withTimeout(exited, timeoutMs, "warm-up clients exiting").catch(() => child.kill("SIGKILL"));
  }
}

import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:http";
import { setupPrimary as setupClusterAdapterPrimary } from "@socket.io/cluster-adapter";
// setupMaster is sticky's typed name for setupPrimary.
import { setupMaster as setupStickyPrimary } from "@socket.io/sticky";
import type { Logger } from "../shared/logger.js";
import { onShutdownSignal } from "../shared/signals.js";
import { RespawnBackoff } from "./respawn-backoff.js";
import type { ServerConfig } from "./config.js";
import { isStickyConnection, isWorkerMessage, type PrimaryMessage } from "./messages.js";
import { gateHandoff } from "./sticky-handoff.js";

/**
 * The replica's primary: owns the listening socket, forks the workers, and hands each connection to the
 * worker that holds its Engine.IO session (@socket.io/sticky). It never runs Socket.IO itself.
 */
export function runPrimary(config: ServerConfig, baseLog: Logger): void {
  const log = baseLog.child({ role: "primary" });

  // Why "advanced": sticky 2.x sends Buffers over IPC; with the default JSON serialization every
  // connection fails. https://github.com/socketio/socket.io-sticky#usage
  cluster.setupPrimary({ serialization: "advanced" });

  const httpServer = createServer();
  setupStickyPrimary(httpServer, { loadBalancingMethod: config.balancingMethod });
  // Registered after sticky's own listener, so the session is in sticky's map when this confirms it
  // (see session-binding.ts).
  cluster.on("message", (worker, message: unknown) => {
    if (isStickyConnection(message) && worker.isConnected()) {
      worker.send({ type: "primary:session-bound", sid: message.data } satisfies PrimaryMessage);
    }
  });
  if (!config.redisUrl) setupClusterAdapterPrimary();

  const backoff = new RespawnBackoff();
  let stopping = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    const gate = gateHandoff(worker);
    worker.on("message", (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      log.info("worker ready", { worker: worker.id, workerPid: worker.process.pid, heldMessages: gate.held });
      gate.open();
      backoff.succeeded();
    });
    return worker;
  };

  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return log.info("worker exited", { worker: worker.id, code, signal });
    const delayMs = backoff.next();
    log.error("worker died, respawning", { worker: worker.id, code, signal, delayMs, crashes: backoff.failures });
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs).unref();
  });

  for (let i = 0; i < config.workers; i++) fork();

  httpServer.on("error", (err) => {
    log.error("cannot listen", { err, port: config.port });
    process.exit(1);
  });
  // A reconnection storm is thousands of SYNs at once; Node's default backlog (511) overflows and the
  // kernel drops SYNs, which clients only retry after 1, 3, 7... seconds. The kernel caps it at somaxconn.
  httpServer.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
    const address = httpServer.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    log.info("listening", {
      url: `http://${config.host}:${port}`,
      workers: config.workers,
      adapter: config.redisUrl ? "redis" : "cluster",
    });
  });

  onShutdownSignal(log, async () => {
    stopping = true;
    // Workers answer /readyz 503 and refuse new sessions for DRAIN_DELAY_MS, then close their sockets; the
    // listener closes at the same time, so reconnecting clients are refused here and nginx sends them on.
    setTimeout(() => httpServer.close(), config.drainDelayMs).unref();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = workers.map(
      (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once("exit", () => resolve()))),
    );
    for (const worker of workers) {
      if (worker.isConnected()) worker.send({ type: "primary:drain" } satisfies PrimaryMessage);
    }
    const timer = setTimeout(() => {
      log.error("workers did not drain in time, killing them", { timeoutMs: config.shutdownTimeoutMs });
      for (const worker of workers) worker.process.kill("SIGKILL");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    await Promise.all(exited);
    clearTimeout(timer);
    log.info("stopped");
    process.exit(0);
  });
}

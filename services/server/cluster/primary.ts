import cluster, { type Worker } from "node:cluster";
import { createServer, type Server } from "node:http";
import { setupPrimary as setupClusterAdapterPrimary } from "@socket.io/cluster-adapter";
// setupMaster is sticky's typed name for setupPrimary.
import { setupMaster as setupStickyPrimary } from "@socket.io/sticky";
import { EX_CONFIG } from "../../shared/config.js";
import type { Logger } from "../../shared/logger.js";
import { channels, report } from "../../shared/instrumentation.js";
import { serveMetrics } from "../../shared/metrics.js";
import { onShutdownSignal } from "../../shared/signals.js";
import { primaryMetrics } from "../metrics/primary-metrics.js";
import { RespawnBackoff } from "./respawn-backoff.js";
import { SHUTDOWN_RESERVE_MS } from "../../shared/settings.js";
import type { ServerConfig } from "../config.js";
import { isStickyConnection, isWorkerMessage, type PrimaryMessage } from "./messages.js";
import { gateHandoff } from "./sticky-handoff.js";
import { refuseUpgradesWithBody } from "./upgrade-guard.js";

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
  refuseUpgradesWithBody(httpServer, log);
  // Registered after sticky's own listener, so the session is in sticky's map when this confirms it
  // (see session-binding.ts).
  cluster.on("message", (worker, message: unknown) => {
    if (isStickyConnection(message) && worker.isConnected()) {
      worker.send({ type: "primary:session-bound", sid: message.data } satisfies PrimaryMessage);
    }
  });
  if (!config.redisUrl) setupClusterAdapterPrimary();

  const backoff = new RespawnBackoff();
  /** When each live worker said ready. */
  const readyAt = new Map<number, number>();
  let stopping = false;

  const fork = (respawn: boolean): Worker => {
    // A respawn joins a replica that is serving: sticky hands it reconnecting clients at once, held until it
    // says ready (sticky-handoff.ts), and a warm-up (delivery/warm-up.ts, 1-3 s) would hold them that much
    // longer, for first broadcasts that cost tens of milliseconds cold.
    const worker = cluster.fork(respawn ? { WARM_UP_SOCKETS: "0" } : {});
    // A message sent to a worker that has just died (its pipe closed before `exit` reached us) fails with EPIPE,
    // emitted on the Worker: without a listener, that would end the primary and every worker with it. The
    // worker's `exit` follows and is handled below. (Found by the metrics test: a scrape right after a SIGKILL.)
    // @see https://nodejs.org/api/child_process.html#subprocesssendmessage-sendhandle-options-callback
    worker.on("error", (err) => log.warn("IPC to a worker failed", { worker: worker.id, err: err.message }));
    const gate = gateHandoff(worker);
    worker.on("message", (message: unknown) => {
      if (!isWorkerMessage(message) || message.type !== "worker:ready") return;
      log.info("worker ready", { worker: worker.id, workerPid: worker.process.pid, heldMessages: gate.held });
      readyAt.set(worker.id, Date.now());
      gate.open();
    });
    return worker;
  };

  cluster.on("exit", (worker, code, signal) => {
    const ready = readyAt.get(worker.id);
    readyAt.delete(worker.id);
    if (stopping) return log.info("worker exited", { worker: worker.id, code, signal });
    if (code === EX_CONFIG) {
      // The worker found the configuration unusable (Redis refused REDIS_URL's password, say): every new one
      // would too. Stop the replica with the same code, so an operator and `restart` policies see why.
      log.error("a worker stopped on a configuration error: stopping the replica", { worker: worker.id, code });
      return void stop(EX_CONFIG);
    }
    const delayMs = backoff.next(ready === undefined ? undefined : Date.now() - ready);
    log.error("worker died, respawning", { worker: worker.id, code, signal, delayMs, crashes: backoff.failures });
    report(channels.workerRestart, () => ({ delayMs }));
    setTimeout(() => {
      if (!stopping) fork(true);
    }, delayMs).unref();
  });

  // `/metrics` for the whole replica, on a port of its own (docs/metrics.md); none with METRICS=off.
  const metrics =
    config.metrics &&
    primaryMetrics({
      replica: config.replicaName,
      workerTimeoutMs: config.metricsWorkerTimeoutMs,
      readyWorkers: () =>
        Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && readyAt.has(w.id)),
    });
  let metricsServer: Promise<Server> | undefined;

  httpServer.on("error", (err) => {
    log.error("cannot listen", { err, port: config.port });
    process.exit(1);
  });
  // A reconnection storm is thousands of SYNs at once; Node's default backlog (511) overflows and the
  // kernel drops SYNs, which clients only retry after 1, 3, 7... seconds. The kernel caps it at somaxconn.
  // Workers are forked once the port is ours: a port in use then ends the replica with one clear line, instead of
  // workers dying of EPIPE on an IPC channel whose primary already left. No connection is handled before the
  // forks, which are synchronous, in this same callback.
  httpServer.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
    for (let i = 0; i < config.workers; i++) fork(false);
    if (metrics) metricsServer = serveMetrics(config.host, config.metricsPort, () => metrics.render(), log);
    const address = httpServer.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    log.info("listening", {
      url: `http://${config.host}:${port}`,
      workers: config.workers,
      adapter: config.redisUrl ? "redis" : "cluster",
    });
  });

  /** Drains every worker, then exits with `exitCode` (1 if they had to be killed). */
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    // Workers answer /readyz 503 and refuse new sessions for DRAIN_DELAY_MS, then close their sockets; the
    // listener closes at the same time, so reconnecting clients are refused here and nginx sends them on.
    setTimeout(() => httpServer.close(), config.drainDelayMs).unref();
    void metricsServer?.then((server) => server.close());
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = workers.map(
      (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once("exit", () => resolve()))),
    );
    for (const worker of workers) {
      if (worker.isConnected()) worker.send({ type: "primary:drain" } satisfies PrimaryMessage);
    }
    // Killed before the budget ends, so the replica exits by itself within SHUTDOWN_TIMEOUT_MS, which Compose
    // also uses as its stop_grace_period (after which Docker would kill the whole container: exit 137).
    const timer = setTimeout(() => {
      log.error("workers did not drain in time, killing them", { timeoutMs: config.shutdownTimeoutMs });
      for (const worker of workers) worker.process.kill("SIGKILL");
      process.exit(exitCode || 1);
    }, config.shutdownTimeoutMs - SHUTDOWN_RESERVE_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    log.info("stopped", { exitCode });
    process.exit(exitCode);
  };

  onShutdownSignal(log, () => stop(0));
}

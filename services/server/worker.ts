import cluster from "node:cluster";
import { createServer } from "node:http";
import { setupWorker } from "@socket.io/sticky";
import type { Identity } from "../shared/events.js";
import type { Logger } from "../shared/logger.js";
import { exitOnAuthFailure } from "../shared/redis.js";
import { clusterAdapter, redisAdapter } from "./adapters.js";
import type { ServerConfig } from "./config.js";
import { createHttpApp } from "./http-app.js";
import { isPrimaryMessage, type WorkerMessage } from "./messages.js";
import { bindSessionsBeforeHandshake } from "./session-binding.js";
import { createSocketServer } from "./socket-server.js";
import { resumableDelivery } from "./delivery.js";
import { History } from "../shared/history.js";
import { ResumablePublisher } from "../shared/resumable-publisher.js";

/**
 * One cluster worker: express + Socket.IO on an http.Server that never listens. The primary hands it
 * connections through @socket.io/sticky, and it leaves when the primary says `drain`.
 */
export function runWorker(config: ServerConfig, baseLog: Logger): void {
  const identity: Identity = { replica: config.replicaName, worker: cluster.worker?.id ?? 0, pid: process.pid };
  const log = baseLog.child({ worker: identity.worker });
  const adapter = config.redisUrl
    ? redisAdapter(
        {
          url: config.redisUrl,
          key: config.redisKey,
          requestsTimeoutMs: config.redisRequestsTimeoutMs,
          // The primary sees EX_CONFIG and stops the replica instead of respawning workers that cannot work.
          onAuthFailure: exitOnAuthFailure(log, config.redisUrl),
        },
        log,
      )
    : clusterAdapter(log);

  let draining = false;
  const httpServer = createServer();
  httpServer.on(
    "request",
    createHttpApp({
      identity,
      log,
      readiness: () => (draining ? { ready: false, reason: "draining" } : adapter.readiness()),
      parser: config.parser,
    }),
  );
  // With Redis, what handlers publish is kept in a bounded history, and clients can resume (see sync.ts).
  const history = adapter.redis ? new History(adapter.redis, { key: config.redisKey, ...config.history }) : undefined;
  const io = createSocketServer({
    httpServer,
    adapter: adapter.adapter,
    identity,
    log,
    options: config,
    isDraining: () => draining,
    ...(history ? { delivery: resumableDelivery(history, new ResumablePublisher(history, config.redisKey)) } : {}),
  });
  setupWorker(io);
  bindSessionsBeforeHandshake(io, log);
  // Sticky's listener is registered: the primary may now hand us connections (see sticky-handoff.ts).
  send({ type: "worker:ready" });
  log.info("worker ready", { adapter: adapter.kind });

  const drain = async () => {
    if (draining) return;
    draining = true;
    if (config.drainDelayMs > 0) {
      log.info("draining: not ready, refusing new sessions", { delayMs: config.drainDelayMs });
      await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
    }
    log.info("draining: closing sockets so clients reconnect elsewhere", { sockets: io.engine.clientsCount });
    // io.close() disconnects every socket and closes the (never listening) http server, whose
    // ERR_SERVER_NOT_RUNNING is expected here.
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await adapter.close();
    log.info("drained");
    process.exit(0);
  };

  process.on("message", (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.type === "primary:drain") void drain();
  });

  // Ctrl+C reaches every process of the terminal's group; the primary coordinates the shutdown.
  const ignore = (signal: NodeJS.Signals) => log.debug("ignore signal, the primary coordinates shutdown", { signal });
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  // The primary is gone (killed with SIGKILL, say): nobody will hand us connections or tell us to stop.
  process.on("disconnect", () => {
    log.warn("primary disconnected, exiting");
    void drain();
  });
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

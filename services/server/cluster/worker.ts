import cluster from "node:cluster";
import { setupWorker } from "@socket.io/sticky";
import type { Identity } from "../../shared/events.js";
import type { Logger } from "../../shared/logger.js";
import type { WorkerApp } from "../worker-app.js";
import { isPrimaryMessage, type WorkerMessage } from "./messages.js";
import { bindSessionsBeforeHandshake } from "./session-binding.js";

export interface WorkerOptions {
  /** `DRAIN_DELAY_MS`: how long to stay up refusing new sessions before closing sockets. */
  drainDelayMs: number;
  /** Builds what this worker serves; `isDraining` turns true when the primary says `drain`. */
  createApp: (identity: Identity, isDraining: () => boolean) => WorkerApp;
}

/**
 * One cluster worker: the app's http.Server never listens. The primary hands it connections through
 * @socket.io/sticky, and it leaves when the primary says `drain` (or is gone).
 */
export function runWorker({ drainDelayMs, createApp }: WorkerOptions, baseLog: Logger, replicaName: string): void {
  const identity: Identity = { replica: replicaName, worker: cluster.worker?.id ?? 0, pid: process.pid };
  const log = baseLog.child({ worker: identity.worker });
  let draining = false;
  const app = createApp(identity, () => draining);

  const drain = async () => {
    if (draining) return;
    draining = true;
    if (drainDelayMs > 0) {
      log.info("draining: not ready, refusing new sessions", { delayMs: drainDelayMs });
      await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
    }
    log.info("draining: closing sockets so clients reconnect elsewhere", { sockets: app.io.engine.clientsCount });
    await app.close();
    log.info("drained");
    process.exit(0);
  };

  process.on("message", (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.type === "primary:drain") void drain();
    if (message.type === "primary:metrics" && app.metrics) {
      const { id } = message;
      app.metrics.getMetricsAsJSON().then(
        (metrics) => send({ type: "worker:metrics", id, metrics }),
        (err: unknown) => log.warn("metrics not collected", { err }),
      );
    }
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

  // Before sticky's listener, so that the primary hands us nothing while we warm up; the handlers above are
  // already listening, so a stop during the warm-up is not missed.
  void app.warmUp().then((warmed) => {
    if (warmed.path !== "none") log.info("warmed up", { ...warmed });
    if (draining) return;
    setupWorker(app.io);
    bindSessionsBeforeHandshake(app.io, log);
    // Sticky's listener is registered: the primary may now hand us connections (see sticky-handoff.ts).
    send({ type: "worker:ready" });
    log.info("worker ready", { adapter: app.adapterKind });
  });
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

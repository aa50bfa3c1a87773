/**
 * A replica: the cluster primary (sticky sessions, respawns) or one of its workers (the Socket.IO app).
 * Each role loads only its own code: the primary never loads Socket.IO, express or jose.
 */
import cluster from "node:cluster";
import { ConfigError, EX_CONFIG } from "../shared/config.js";
import { createLogger } from "../shared/logger.js";
import { loadServerConfig } from "./config.js";

try {
  const config = loadServerConfig(process.env);
  const log = createLogger(
    { service: "server", replica: config.replicaName, pid: process.pid },
    { level: config.logLevel },
  );
  if (cluster.isPrimary) {
    const { runPrimary } = await import("./cluster/primary.js");
    runPrimary(config, log);
  } else {
    const { runWorker } = await import("./cluster/worker.js");
    const { createWorkerApp } = await import("./worker-app.js");
    runWorker(
      {
        drainDelayMs: config.drainDelayMs,
        createApp: (identity, isDraining) => createWorkerApp(config, log, identity, isDraining),
      },
      log,
      config.replicaName,
    );
  }
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  createLogger({ service: "server", pid: process.pid }).error(err.message, { problems: err.problems });
  process.exit(EX_CONFIG);
}

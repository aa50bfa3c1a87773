import cluster from "node:cluster";
import { ConfigError, EX_CONFIG } from "../shared/config.js";
import { createLogger } from "../shared/logger.js";
import { loadServerConfig } from "./config.js";
import { runPrimary } from "./primary.js";
import { runWorker } from "./worker.js";

try {
  const config = loadServerConfig(process.env);
  const log = createLogger(
    { service: "server", replica: config.replicaName, pid: process.pid },
    { level: config.logLevel },
  );
  if (cluster.isPrimary) runPrimary(config, log);
  else runWorker(config, log);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  createLogger({ service: "server", pid: process.pid }).error(err.message, { problems: err.problems });
  process.exit(EX_CONFIG);
}

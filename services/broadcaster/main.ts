import { createServer } from "node:http";
import { ConfigError, EX_CONFIG } from "../shared/config.js";
import { createLogger } from "../shared/logger.js";
import { History } from "../shared/history.js";
import { closeRedis, createRedisClient, exitOnAuthFailure } from "../shared/redis.js";
import { serveMetrics } from "../shared/metrics.js";
import { ResumablePublisher } from "../shared/resumable-publisher.js";
import { onShutdownSignal } from "../shared/signals.js";
import { createBroadcastApi } from "./api.js";
import { SHUTDOWN_RESERVE_MS } from "../shared/settings.js";
import { loadBroadcasterConfig } from "./config.js";
import { broadcasterMetrics } from "./metrics.js";
import { startTicker } from "./ticker.js";

let config;
try {
  config = loadBroadcasterConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  createLogger({ service: "broadcaster", pid: process.pid }).error(err.message, { problems: err.problems });
  process.exit(EX_CONFIG);
}
const log = createLogger({ service: "broadcaster", pid: process.pid }, { level: config.logLevel });

// No offline queue: while Redis is down a publish fails at once (503) instead of waiting to be sent later.
const redis = createRedisClient(config.redisUrl, log, {
  name: "broadcaster",
  disableOfflineQueue: true,
  onAuthFailure: exitOnAuthFailure(log, config.redisUrl),
});
redis.connect().catch((err: unknown) => log.error("redis connect failed", { err }));
const history = new History(redis, { key: config.redisKey, ...config.history });
// Same key (and the emitter's default msgpack parser) as the servers' adapter, or nobody receives anything.
const publisher = new ResumablePublisher(history, config.redisKey);
const redisReady = () => redis.isReady;
// `/metrics` on a port of its own (docs/metrics.md), never the API's; none with METRICS=off.
const metrics = config.metrics ? broadcasterMetrics(redisReady) : undefined;
const metricsServer = metrics && serveMetrics(config.host, config.metricsPort, () => metrics.render(), log);

const stopTicker = startTicker(publisher, redisReady, config.tickIntervalMs, log);
if (config.token === undefined) {
  log.warn("broadcast API disabled: set BROADCASTER_TOKEN (16+ characters) to enable POST /broadcast");
}
const api = createBroadcastApi({
  publisher,
  redisReady,
  token: config.token,
  bodyLimitBytes: config.bodyLimitBytes,
  rateLimit: config.rateLimit,
  log,
});
// Slow-body (slowloris) requests are cut with a 408 once BROADCAST_REQUEST_TIMEOUT_MS has passed.
const server = createServer(
  {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(5_000, config.requestTimeoutMs),
    // Node checks those timeouts every 30 s by default, which would let a slow client hold on that long.
    connectionsCheckingInterval: 1_000,
  },
  api,
);
server.listen(config.port, config.host, () => {
  log.info("listening", { url: `http://${config.host}:${config.port}`, tickIntervalMs: config.tickIntervalMs });
});
server.on("error", (err) => {
  log.error("cannot listen", { err, port: config.port });
  process.exit(1);
});

onShutdownSignal(log, async () => {
  stopTicker();
  // A request whose body is still arriving may hold server.close() up to BROADCAST_REQUEST_TIMEOUT_MS: cut it
  // before Compose's stop_grace_period (SHUTDOWN_TIMEOUT_MS) ends, so the broadcaster still exits by itself.
  let cut = false;
  setTimeout(() => {
    log.warn("requests still open at the end of the shutdown budget, closing them");
    cut = true;
    server.closeAllConnections();
  }, config.shutdownTimeoutMs - SHUTDOWN_RESERVE_MS).unref();
  server.closeIdleConnections();
  void metricsServer?.then((metricsServer) => metricsServer.close());
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await closeRedis(redis);
  log.info("stopped", { exitCode: cut ? 1 : 0 });
  process.exit(cut ? 1 : 0);
});

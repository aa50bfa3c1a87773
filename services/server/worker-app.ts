import { createServer, type Server as HttpServer } from "node:http";
import type { Registry } from "prom-client";
import type { Identity } from "../shared/events.js";
import { History } from "../shared/history.js";
import type { Logger } from "../shared/logger.js";
import { exitOnAuthFailure } from "../shared/redis.js";
import { ResumablePublisher } from "../shared/resumable-publisher.js";
import { createHttpApp } from "./app/http-app.js";
import { createSocketServer } from "./app/socket-server.js";
import type { ServerConfig } from "./config.js";
import { clusterAdapter, redisAdapter } from "./delivery/adapters.js";
import { resumableDelivery } from "./delivery/delivery.js";
import { warmUp, type WarmUpResult } from "./delivery/warm-up.js";
import { adminUiDirectory, useAdminUi } from "./metrics/admin-ui.js";
import { workerMetrics } from "./metrics/worker-metrics.js";
import type { AppServer } from "./socket-types.js";

/** What a cluster worker runs (cluster/worker.ts), built without knowing about `cluster` or sticky. */
export interface WorkerApp {
  io: AppServer;
  /** express and Socket.IO on it; it never listens: the primary hands it connections. */
  httpServer: HttpServer;
  /** "redis" or "cluster". */
  adapterKind: string;
  /** This worker's metrics (metrics/worker-metrics.ts), which the primary collects; none with METRICS=off. */
  metrics: Registry | undefined;
  /** Runs the broadcast path before the worker takes clients (delivery/warm-up.ts); never throws. */
  warmUp(): Promise<WarmUpResult>;
  /** Disconnects every socket and closes the adapter's connections. */
  close(): Promise<void>;
}

/**
 * The composition of one worker: the adapter (Redis, or the cluster adapter without REDIS_URL), the history
 * for clients that resume, the HTTP routes and the Socket.IO server with the application's events.
 */
export function createWorkerApp(
  config: ServerConfig,
  log: Logger,
  identity: Identity,
  isDraining: () => boolean,
): WorkerApp {
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

  const httpServer = createServer();
  httpServer.on(
    "request",
    createHttpApp({
      identity,
      log,
      readiness: () => (isDraining() ? { ready: false, reason: "draining" } : adapter.readiness()),
      parser: config.parser,
      ...(config.adminUi ? { adminUiDirectory: adminUiDirectory() } : {}),
    }),
  );
  // With Redis, what handlers publish is kept in a bounded history, and clients can resume (see delivery/sync.ts).
  const history = adapter.redis ? new History(adapter.redis, { key: config.redisKey, ...config.history }) : undefined;
  const io = createSocketServer({
    httpServer,
    adapter: adapter.adapter,
    identity,
    log,
    options: config,
    isDraining,
    ...(history ? { delivery: resumableDelivery(history, new ResumablePublisher(history, config.redisKey)) } : {}),
  });
  const metrics = config.metrics ? workerMetrics(io, identity) : undefined;
  if (config.adminUi)
    useAdminUi(io, identity, { ...config.adminUi, ...(adapter.redis ? { redis: adapter.redis } : {}) });
  return {
    io,
    httpServer,
    adapterKind: adapter.kind,
    metrics: metrics?.registry,
    warmUp: () =>
      warmUp(
        { ...config.warmUp, parser: config.parser },
        {
          io,
          httpServer,
          log,
          ...(adapter.redis
            ? { redis: { client: adapter.redis, key: config.redisKey, isReady: () => adapter.readiness().ready } }
            : {}),
        },
      ),
    close: async () => {
      metrics?.stop();
      // io.close() disconnects every socket and closes the (never listening) http server, whose
      // ERR_SERVER_NOT_RUNNING is expected here.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await adapter.close();
    },
  };
}

import { createAdapter as createClusterAdapter } from "@socket.io/cluster-adapter";
import { createAdapter as createRedisAdapter } from "@socket.io/redis-adapter";
import type { ServerOptions } from "socket.io";
import type { Logger } from "../shared/logger.js";
import { closeRedis, createRedisClient } from "../shared/redis.js";
import type { Readiness } from "./http-app.js";

/** An adapter with what the worker needs around it: is it connected, and how to let it go. */
export interface AdapterHandle {
  kind: "redis" | "cluster";
  adapter: ServerOptions["adapter"];
  readiness(): Readiness;
  close(): Promise<void>;
}

export interface RedisAdapterOptions {
  url: string;
  /** Channel prefix shared with the broadcaster's emitter. @default "socket.io" */
  key: string;
  /** How long `fetchSockets()` / `serverSideEmit` wait for other servers. @default 5000 */
  requestsTimeoutMs?: number;
}

/**
 * The classic Redis adapter (PUBLISH/PSUBSCRIBE), the one @socket.io/redis-emitter speaks.
 * The clients connect in the background: the worker serves its own sockets at once and reports not ready
 * until both Redis connections are up, instead of refusing to start while Redis is down.
 */
export function redisAdapter(options: RedisAdapterOptions, log: Logger): AdapterHandle {
  const pub = createRedisClient(options.url, log, { name: "adapter-pub" });
  const sub = createRedisClient(options.url, log, { name: "adapter-sub" });
  for (const client of [pub, sub]) {
    client.connect().catch((err: unknown) => log.error("redis connect failed", { err }));
  }
  return {
    kind: "redis",
    adapter: createRedisAdapter(pub, sub, {
      key: options.key,
      requestsTimeout: options.requestsTimeoutMs ?? 5_000,
    }),
    readiness: () =>
      pub.isReady && sub.isReady ? { ready: true } : { ready: false, reason: "redis adapter not connected" },
    close: async () => {
      await Promise.all([closeRedis(pub), closeRedis(sub)]);
    },
  };
}

/** Workers of one replica talk through the primary (IPC); needs `setupPrimary()` there. No Redis. */
export function clusterAdapter(): AdapterHandle {
  return {
    kind: "cluster",
    adapter: createClusterAdapter(),
    readiness: () => ({ ready: true }),
    close: async () => undefined,
  };
}

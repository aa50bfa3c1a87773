import { createAdapter as createClusterAdapter } from "@socket.io/cluster-adapter";
import { createAdapter as createRedisAdapter } from "@socket.io/redis-adapter";
import type { ServerOptions } from "socket.io";
import { channels, report, type Delivered } from "../../shared/instrumentation.js";
import { publishedAtOf } from "../../shared/position.js";
import type { Logger } from "../../shared/logger.js";
import { closeRedis, createRedisClient, type RedisClient } from "../../shared/redis.js";
import type { Readiness } from "../app/http-app.js";
import { WARM_UP_NAMESPACE } from "./warm-up.js";

/** An adapter with what the worker needs around it: is it connected, and how to let it go. */
export interface AdapterHandle {
  kind: "redis" | "cluster";
  /** The adapter's publishing connection, for other commands (the history); none without Redis. */
  redis?: RedisClient;
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
  /** Redis refused the credentials (see shared/redis.ts). @default log and reconnect */
  onAuthFailure?: (err: Error) => void;
}

/**
 * The classic Redis adapter (PUBLISH/PSUBSCRIBE), the one @socket.io/redis-emitter speaks.
 * The clients connect in the background: the worker serves its own sockets at once and reports not ready
 * until both Redis connections are up, instead of refusing to start while Redis is down.
 */
export function redisAdapter(options: RedisAdapterOptions, log: Logger): AdapterHandle {
  const { onAuthFailure } = options;
  const pub = createRedisClient(options.url, log, { name: "adapter-pub", ...(onAuthFailure ? { onAuthFailure } : {}) });
  const sub = createRedisClient(options.url, log, { name: "adapter-sub", ...(onAuthFailure ? { onAuthFailure } : {}) });
  for (const client of [pub, sub]) {
    client.connect().catch((err: unknown) => log.error("redis connect failed", { err }));
  }
  return {
    kind: "redis",
    redis: pub,
    adapter: guardIncoming(
      observeDeliveries(
        createRedisAdapter(pub, sub, { key: options.key, requestsTimeout: options.requestsTimeoutMs ?? 5_000 }),
      ),
      // The adapter's Redis listeners: a broadcast, and a request or response from another server.
      ["onmessage", "onrequest"],
      log,
    ),
    readiness: () =>
      pub.isReady && sub.isReady ? { ready: true } : { ready: false, reason: "redis adapter not connected" },
    close: async () => {
      await Promise.all([closeRedis(pub), closeRedis(sub)]);
    },
  };
}

/** Workers of one replica talk through the primary (IPC); needs `setupPrimary()` there. No Redis. */
export function clusterAdapter(log: Logger): AdapterHandle {
  return {
    kind: "cluster",
    // IPC messages from the other workers of this replica.
    adapter: guardIncoming(createClusterAdapter(), ["onMessage"], log),
    readiness: () => ({ ready: true }),
    close: async () => undefined,
  };
}

type AdapterFactory = (nsp: unknown) => object;

interface Parser {
  encode(value: unknown): unknown;
  decode(message: unknown): unknown;
}

/**
 * Reports each broadcast this worker decodes from Redis (`channels.delivered`): its event, to everyone or a
 * room, and how long after Redis appended it (the position's `publishedAt`). The adapter decodes a message
 * with its `parser` right before writing it to the sockets, and only when one of them is concerned (a room
 * message for a room without members here is skipped undecoded), so this sees what is delivered, once.
 * @see https://github.com/socketio/socket.io-redis-adapter/blob/8.3.0/lib/index.ts (onmessage)
 */
export function observeDeliveries<F extends AdapterFactory>(create: F): F {
  return function (nsp: unknown) {
    const adapter = create(nsp) as { parser?: Parser };
    // The warm-up's broadcasts are not deliveries.
    if ((nsp as { name?: unknown }).name === WARM_UP_NAMESPACE) return adapter;
    const parser = adapter.parser;
    if (!parser || typeof parser.decode !== "function") throw new Error("adapter has no parser to observe");
    adapter.parser = {
      encode: (value) => parser.encode(value),
      decode: (message) => {
        const args = parser.decode(message);
        // A broadcast is [uid, packet, opts]; requests between servers (objects) go through here too.
        if (Array.isArray(args)) report(channels.delivered, () => delivered(args));
        return args;
      },
    };
    return adapter;
  } as F;
}

function delivered(args: unknown[]): Delivered {
  const [, packet, opts] = args as [unknown, { data?: unknown[] }?, { rooms?: unknown[] }?];
  const data = Array.isArray(packet?.data) ? packet.data : [];
  const publishedAt = publishedAtOf(data[data.length - 1]);
  return {
    event: typeof data[0] === "string" ? data[0] : "",
    channel: (opts?.rooms?.length ?? 0) > 0 ? "room" : "all",
    lagMs: publishedAt === undefined ? undefined : Date.now() - publishedAt,
  };
}

/**
 * Makes the adapter's handlers of incoming messages drop, with a log line, a message they throw on, instead of
 * taking the worker down.
 *
 * Why: the adapters decode and deliver what arrives from Redis (or IPC) in a listener with no try/catch around
 * it: a message that fails to decode (garbage on the channel) or to encode for the clients (a payload nested
 * too deep for `JSON.stringify`) throws an uncaught exception, and every worker that receives it dies at
 * once. Whoever can publish on Redis is trusted, but what they publish may be content they did not write.
 * A message is encoded once before it is written to any socket, so dropping it never delivers it to some
 * clients and not others.
 * @see https://github.com/socketio/socket.io-redis-adapter/blob/8.3.0/lib/index.ts (onmessage, onrequest)
 */
export function guardIncoming<F extends AdapterFactory>(create: F, methods: readonly string[], log: Logger): F {
  // A `function`, not an arrow: Socket.IO calls the adapter option with `new`.
  return function (nsp: unknown) {
    const adapter = create(nsp) as Record<string, unknown>;
    for (const name of methods) {
      const original = adapter[name];
      // A renamed method after an upgrade must fail the tests, not silently leave the worker unguarded.
      if (typeof original !== "function") throw new Error(`adapter has no ${name}() to guard`);
      const dropped = (err: unknown) =>
        log.error("dropped an adapter message this worker cannot handle", { err, in: name });
      // The listeners call `this.<name>(...)`, so an own property takes precedence over the prototype's.
      adapter[name] = function (this: unknown, ...args: unknown[]) {
        try {
          const result: unknown = (original as (...a: unknown[]) => unknown).apply(this, args);
          if (result instanceof Promise) return result.catch(dropped);
          return result;
        } catch (err) {
          dropped(err);
          return undefined;
        }
      };
    }
    return adapter;
  } as F;
}

import { channels, report } from "./instrumentation.js";
import { createClient, type RedisClientType } from "redis";
import { EX_CONFIG, redact } from "./config.js";
import type { Logger } from "./logger.js";
import { withTimeout } from "./signals.js";

export type RedisClient = RedisClientType;

export interface RedisClientOptions {
  /** Shown in logs and as `CLIENT SETNAME`, e.g. "adapter-pub". */
  name: string;
  /**
   * Fail commands at once while disconnected instead of queueing them until Redis is back.
   * @default false
   */
  disableOfflineQueue?: boolean;
  /**
   * Redis refused the credentials in the URL (see {@link isAuthError}). Retrying cannot fix that; a service
   * should stop with a clear message (exit {@link EX_CONFIG}) instead of reconnecting, or crash-looping.
   * @default a log line per failed attempt, and reconnecting
   */
  onAuthFailure?: (err: Error) => void;
}

/**
 * True for Redis's answers to wrong credentials: a wrong password (`WRONGPASS`, or `ERR invalid password`
 * before Redis 6), none where one is required (`NOAUTH`), or one where none is set.
 */
export function isAuthError(err: Error): boolean {
  return /^(WRONGPASS|NOAUTH)\b|invalid password|called without any password configured/.test(err.message);
}

/**
 * A node-redis v4 client that reconnects forever with a capped backoff and never takes the process down.
 *
 * Why the `error` listener: node-redis emits `error` on every failed (re)connection, and an EventEmitter
 * without an `error` listener throws, which kills the process the first time Redis restarts.
 * @see https://github.com/redis/node-redis/blob/master/docs/client-configuration.md#reconnect-strategy
 */
export function createRedisClient(url: string, logger: Logger, options: RedisClientOptions): RedisClient {
  const log = logger.child({ redis: options.name });
  const client: RedisClient = createClient({
    url,
    name: options.name,
    disableOfflineQueue: options.disableOfflineQueue ?? false,
    socket: {
      connectTimeout: 5_000,
      // 50 ms, 100 ms, ... capped at 2 s: a restarted Redis is found again within ~2 s.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
    },
  });

  // Log transitions, not every retry: an outage would otherwise print one line per attempt.
  let healthy = true;
  client.on("error", (err: Error) => {
    // Before anything else: the commands queued behind the failed AUTH are about to fail with NOAUTH, and
    // the subscriptions' rejections (unhandled, in the Redis adapter) would end the process first.
    if (options.onAuthFailure && isAuthError(err)) return options.onAuthFailure(err);
    if (!healthy) return log.debug("redis still unavailable", { err: err.message });
    healthy = false;
    log.warn("redis connection lost, reconnecting", { url: redact(url), err: err.message });
  });
  client.on("ready", () => {
    if (!healthy) log.info("redis connection restored");
    healthy = true;
    report(channels.redisState, () => ({ name: options.name, state: "ready" }));
  });
  client.on("reconnecting", () => report(channels.redisState, () => ({ name: options.name, state: "reconnecting" })));
  client.on("end", () => report(channels.redisState, () => ({ name: options.name, state: "end" })));
  return client;
}

/** An `onAuthFailure` for a service's main: says what is wrong, then exits with EX_CONFIG. */
export function exitOnAuthFailure(log: Logger, url: string): (err: Error) => void {
  return (err) => {
    log.error("Redis refused the credentials in REDIS_URL: fix the password and start again", {
      url: redact(url),
      err: err.message,
    });
    process.exit(EX_CONFIG);
  };
}

/** Closes gracefully (QUIT), falling back to a hard disconnect when Redis does not answer. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  try {
    await withTimeout(client.quit(), 1_000, "quit timed out");
  } catch {
    if (client.isOpen) await client.disconnect().catch(() => undefined);
  }
}

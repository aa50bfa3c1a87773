import { EnvReader } from "../shared/config.js";
import { readHistoryConfig } from "../shared/history.js";
import type { LogLevel } from "../shared/logger.js";

/** Each field names its variable; defaults, bounds and meaning are declared in services/shared/settings.ts. */
export interface BroadcasterConfig {
  /** `BROADCASTER_PORT`: the HTTP API. @default 8081 */
  port: number;
  /** `METRICS`: `/metrics` and the instrumentation behind it. @default true ("on") */
  metrics: boolean;
  /** `METRICS_PORT`: `/metrics`, on `host`; 0 picks a free port. @default 9464 */
  metricsPort: number;
  /** `BROADCASTER_HOST`: keep it loopback or internal; Compose sets 0.0.0.0 inside the container. @default "127.0.0.1" */
  host: string;
  /** `BROADCASTER_TOKEN`: bearer token for `POST /broadcast`; unset keeps the API off. At least 16 characters. */
  token: string | undefined;
  /** `REDIS_URL`: required; the emitter publishes there. */
  redisUrl: string;
  /** `REDIS_KEY`: must match the servers' adapter key. @default "socket.io" */
  redisKey: string;
  /** `TICK_INTERVAL_MS`: period of the `tick` event; 0 turns it off. @default 1000 */
  tickIntervalMs: number;
  /** `BROADCAST_BODY_LIMIT`: largest accepted request body in bytes (413 above). @default 65536 */
  bodyLimitBytes: number;
  /** `BROADCAST_REQUEST_TIMEOUT_MS`: a request (a slow body included) must complete within it, else 408.
   * @default 10000 */
  requestTimeoutMs: number;
  /** `BROADCAST_RATE_LIMIT` / `BROADCAST_BURST`: requests per second per client address, and at once; over
   * them, 429. Wrong tokens count too, so guessing is as slow. @default 100 / 200 */
  rateLimit: { perSecond: number; burst: number };
  /** `SHUTDOWN_TIMEOUT_MS`: the whole graceful stop; requests still open `SHUTDOWN_RESERVE_MS` before its end
   * are cut. @default 10000 */
  shutdownTimeoutMs: number;
  /** `HISTORY_SIZE` / `HISTORY_TTL_MS`: what each channel's history keeps; must match the servers'. */
  history: { size: number; ttlMs: number };
  /** `LOG_LEVEL`. @default "info" */
  logLevel: LogLevel;
}

export const MIN_TOKEN_LENGTH = 16;

/** Reads and validates the broadcaster's settings (declared in services/shared/settings.ts), listing every problem. */
export function loadBroadcasterConfig(env: Readonly<Record<string, string | undefined>>): BroadcasterConfig {
  const read = new EnvReader(env);
  const token = read.string("BROADCASTER_TOKEN");
  const redisUrl = read.redisUrl();
  read.check(
    redisUrl !== undefined || read.raw("REDIS_URL") !== undefined,
    "REDIS_URL is required (e.g. redis://localhost:6379)",
  );
  read.check(
    token === undefined || token.length >= MIN_TOKEN_LENGTH,
    `BROADCASTER_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 24)`,
  );
  const config: BroadcasterConfig = {
    port: read.integer("BROADCASTER_PORT"),
    metrics: read.oneOf("METRICS") === "on",
    metricsPort: read.integer("METRICS_PORT"),
    host: read.string("BROADCASTER_HOST"),
    token,
    redisUrl: redisUrl ?? "",
    redisKey: read.string("REDIS_KEY"),
    tickIntervalMs: read.integer("TICK_INTERVAL_MS"),
    bodyLimitBytes: read.integer("BROADCAST_BODY_LIMIT"),
    requestTimeoutMs: read.integer("BROADCAST_REQUEST_TIMEOUT_MS"),
    rateLimit: { perSecond: read.integer("BROADCAST_RATE_LIMIT"), burst: read.integer("BROADCAST_BURST") },
    shutdownTimeoutMs: read.integer("SHUTDOWN_TIMEOUT_MS"),
    history: readHistoryConfig(read),
    logLevel: read.oneOf("LOG_LEVEL"),
  };
  read.assertValid();
  return config;
}

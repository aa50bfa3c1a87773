import { EnvReader } from "../shared/config.js";
import { readHistoryConfig } from "../shared/history.js";
import { LOG_LEVELS, type LogLevel } from "../shared/logger.js";

export interface BroadcasterConfig {
  /** `BROADCASTER_PORT`: the HTTP API. @default 8081 */
  port: number;
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
  /** `HISTORY_SIZE` / `HISTORY_TTL_MS`: what each channel's history keeps; must match the servers'. */
  history: { size: number; ttlMs: number };
  /** `LOG_LEVEL`. @default "info" */
  logLevel: LogLevel;
}

export const MIN_TOKEN_LENGTH = 16;

export function loadBroadcasterConfig(env: Readonly<Record<string, string | undefined>>): BroadcasterConfig {
  const read = new EnvReader(env);
  const token = read.raw("BROADCASTER_TOKEN");
  const redisUrl = read.url("REDIS_URL", ["redis:", "rediss:"]);
  read.check(
    redisUrl !== undefined || read.raw("REDIS_URL") !== undefined,
    "REDIS_URL is required (e.g. redis://localhost:6379)",
  );
  read.check(
    token === undefined || token.length >= MIN_TOKEN_LENGTH,
    `BROADCASTER_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 24)`,
  );
  const config: BroadcasterConfig = {
    port: read.integer("BROADCASTER_PORT", 8081, { min: 0, max: 65_535 }),
    host: read.string("BROADCASTER_HOST", "127.0.0.1"),
    token,
    redisUrl: redisUrl ?? "",
    redisKey: read.string("REDIS_KEY", "socket.io"),
    tickIntervalMs: read.integer("TICK_INTERVAL_MS", 1000, { min: 0, max: 86_400_000 }),
    bodyLimitBytes: read.integer("BROADCAST_BODY_LIMIT", 65_536, { min: 64, max: 10_000_000 }),
    requestTimeoutMs: read.integer("BROADCAST_REQUEST_TIMEOUT_MS", 10_000, { min: 100, max: 600_000 }),
    rateLimit: {
      perSecond: read.integer("BROADCAST_RATE_LIMIT", 100, { min: 1, max: 1_000_000 }),
      burst: read.integer("BROADCAST_BURST", 200, { min: 1, max: 1_000_000 }),
    },
    history: readHistoryConfig(read),
    logLevel: read.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
  };
  read.assertValid();
  return config;
}

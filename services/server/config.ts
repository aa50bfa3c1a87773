import { availableParallelism, hostname } from "node:os";
import { EnvReader } from "../shared/config.js";
import { readHistoryConfig } from "../shared/history.js";
import type { LogLevel } from "../shared/logger.js";
import { SETTINGS, SHUTDOWN_RESERVE_MS, type EnumValue } from "../shared/settings.js";

export const BALANCING_METHODS = SETTINGS.STICKY_METHOD.values;
export const SOCKET_PARSERS = SETTINGS.SOCKET_PARSER.values;

/** Each field names its variable; defaults, bounds and meaning are declared in services/shared/settings.ts. */
export interface ServerConfig {
  /** `PORT`: where the replica's primary listens. @default 3000 */
  port: number;
  /** `HOST`: the address it binds. @default "0.0.0.0" */
  host: string;
  /** `ADMIN_UI` and its credentials; undefined when off. @default undefined ("off") */
  adminUi:
    | {
        mode: "on" | "on-without-auth";
        detail: "aggregated" | "sockets";
        username: string;
        passwordHash: string | undefined;
      }
    | undefined;
  /** `METRICS`: `/metrics` and the instrumentation behind it. @default true ("on") */
  metrics: boolean;
  /** `METRICS_PORT`: the primary's `/metrics`, on `host`; 0 picks a free port. @default 9464 */
  metricsPort: number;
  /** `METRICS_WORKER_TIMEOUT_MS`: how long a scrape waits for each worker. @default 1000 */
  metricsWorkerTimeoutMs: number;
  /** `LISTEN_BACKLOG`: pending connections the kernel queues (capped by net.core.somaxconn). @default 4096 */
  listenBacklog: number;
  /** `WORKERS`: cluster workers per replica. @default os.availableParallelism() */
  workers: number;
  /** `REPLICA_NAME`: shown in `hello`, logs and metrics. @default os.hostname() */
  replicaName: string;
  /** `REDIS_URL`: use the Redis adapter; unset means the cluster adapter (one replica, no Redis). */
  redisUrl: string | undefined;
  /** `REDIS_KEY`: prefix of the adapter's channels; the broadcaster must use the same. @default "socket.io" */
  redisKey: string;
  /**
   * `STICKY_METHOD`: how the primary picks a worker for a new session.
   * `least-connection` only counts sessions once they exist, so a burst all lands on one worker.
   * @default "round-robin"
   */
  balancingMethod: EnumValue<"STICKY_METHOD">;
  /** `SHUTDOWN_TIMEOUT_MS`: the whole graceful stop; workers still alive `SHUTDOWN_RESERVE_MS` before its end
   * are killed, so the replica exits within it (Compose's stop_grace_period is the same). @default 10000 */
  shutdownTimeoutMs: number;
  /** `PING_INTERVAL_MS` / `PING_TIMEOUT_MS`: Engine.IO heartbeat; nginx timeouts derive from their sum. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** `CONNECT_TIMEOUT_MS`: how long a client may take to join the main namespace. @default 45000 */
  connectTimeoutMs: number;
  /** `MAX_HTTP_BUFFER_SIZE`: largest message in bytes; bigger ones close the connection. @default 1000000 */
  maxHttpBufferSize: number;
  /**
   * `ALLOWED_ORIGINS`: comma-separated browser origins allowed to connect, the page's own included; requests
   * from any other Origin are refused (403). Clients that send no Origin (Node, curl, apps) are not concerned.
   * @default http://localhost:PORT, http://127.0.0.1:PORT and http://[::1]:PORT
   */
  allowedOrigins: string[];
  /** `DRAIN_DELAY_MS`: on SIGTERM, how long to stay up answering /readyz 503 and refusing new sessions before
   * closing sockets, for load balancers that poll /readyz. nginx needs none. @default 0 */
  drainDelayMs: number;
  /** `WARM_UP_SOCKETS` / `WARM_UP_BROADCASTS`: what a worker sends itself before it takes clients
   * (delivery/warm-up.ts); either 0 turns it off. @default 500 / 25 */
  warmUp: { sockets: number; broadcasts: number };
  /** `REDIS_REQUESTS_TIMEOUT_MS`: how long cluster-wide requests (fetchSockets, serverSideEmit with ack) wait
   * for every server. @default 5000 */
  redisRequestsTimeoutMs: number;
  /** `EVENT_RATE_LIMIT` / `EVENT_BURST`: events per second per socket, and the burst allowed. @default 20 / 40 */
  rateLimit: { perSecond: number; burst: number };
  /** `MAX_ROOMS_PER_SOCKET`. @default 50 */
  maxRoomsPerSocket: number;
  /** `AUTH_JWT_SECRET` (32+ characters) turns handshake authentication on; `AUTH_JWT_ISSUER`, `AUTH_JWT_AUDIENCE`. */
  auth: { secret: string; issuer?: string; audience?: string } | undefined;
  /** `PER_MESSAGE_DEFLATE`: compress WebSocket messages (CPU per message per client, for bandwidth). @default false */
  perMessageDeflate: boolean;
  /** `SOCKET_PARSER`: `default` (JSON text frames) or `msgpack` (binary); every client must use the same. */
  parser: EnumValue<"SOCKET_PARSER">;
  /** `HISTORY_SIZE` / `HISTORY_TTL_MS`: messages kept per channel (room, or everyone) for clients that resume,
   * and for how long. @default 1000 / 300000 */
  history: { size: number; ttlMs: number };
  /** `LOG_LEVEL`. @default "info" */
  logLevel: LogLevel;
}

/** Reads and validates the replica's settings (declared in services/shared/settings.ts), listing every problem. */
export function loadServerConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const read = new EnvReader(env);
  const port = read.integer("PORT");
  const allowedOrigins = read.list("ALLOWED_ORIGINS");
  const config: ServerConfig = {
    port,
    host: read.string("HOST"),
    metrics: read.oneOf("METRICS") === "on",
    metricsPort: read.integer("METRICS_PORT"),
    metricsWorkerTimeoutMs: read.integer("METRICS_WORKER_TIMEOUT_MS"),
    listenBacklog: read.integer("LISTEN_BACKLOG"),
    workers: read.integer("WORKERS", availableParallelism()),
    replicaName: read.string("REPLICA_NAME", hostname()),
    redisUrl: read.redisUrl(),
    redisKey: read.string("REDIS_KEY"),
    balancingMethod: read.oneOf("STICKY_METHOD"),
    shutdownTimeoutMs: read.integer("SHUTDOWN_TIMEOUT_MS"),
    pingIntervalMs: read.integer("PING_INTERVAL_MS"),
    pingTimeoutMs: read.integer("PING_TIMEOUT_MS"),
    connectTimeoutMs: read.integer("CONNECT_TIMEOUT_MS"),
    maxHttpBufferSize: read.integer("MAX_HTTP_BUFFER_SIZE"),
    allowedOrigins:
      allowedOrigins.length > 0
        ? allowedOrigins
        : ["localhost", "127.0.0.1", "[::1]"].map((host) => `http://${host}:${port}`),
    drainDelayMs: read.integer("DRAIN_DELAY_MS"),
    warmUp: { sockets: read.integer("WARM_UP_SOCKETS"), broadcasts: read.integer("WARM_UP_BROADCASTS") },
    redisRequestsTimeoutMs: read.integer("REDIS_REQUESTS_TIMEOUT_MS"),
    rateLimit: { perSecond: read.integer("EVENT_RATE_LIMIT"), burst: read.integer("EVENT_BURST") },
    maxRoomsPerSocket: read.integer("MAX_ROOMS_PER_SOCKET"),
    auth: authConfig(read),
    parser: read.oneOf("SOCKET_PARSER"),
    perMessageDeflate: read.oneOf("PER_MESSAGE_DEFLATE") === "true",
    history: readHistoryConfig(read),
    logLevel: read.oneOf("LOG_LEVEL"),
    adminUi: adminUiConfig(read),
  };
  read.check(
    config.shutdownTimeoutMs - SHUTDOWN_RESERVE_MS > config.drainDelayMs,
    `DRAIN_DELAY_MS must end at least ${SHUTDOWN_RESERVE_MS} ms before SHUTDOWN_TIMEOUT_MS, or every drain ends with killed workers`,
  );
  for (const origin of allowedOrigins) {
    read.check(origin !== "*", 'ALLOWED_ORIGINS must list origins; "*" would let any site use your users\' sessions');
    read.check(
      /^https?:\/\/[^/]+$/.test(origin) || origin === "*",
      `ALLOWED_ORIGINS entry "${origin}" must look like https://host[:port]`,
    );
  }
  read.assertValid();
  return config;
}

function adminUiConfig(read: EnvReader): ServerConfig["adminUi"] {
  const mode = read.oneOf("ADMIN_UI");
  if (mode === "off") return undefined;
  const passwordHash = read.string("ADMIN_UI_PASSWORD_HASH");
  const host = read.string("HOST") ?? "";
  if (mode === "on") {
    read.check(
      /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/.test(passwordHash ?? ""),
      "ADMIN_UI=on needs ADMIN_UI_PASSWORD_HASH, a bcrypt hash of the password (see docs/configuration.md)",
    );
  } else {
    // Without authentication only where nothing else can reach the replica.
    read.check(
      ["127.0.0.1", "::1", "localhost"].includes(host),
      `ADMIN_UI=on-without-auth needs HOST on loopback (it is ${host}): use ADMIN_UI=on with a password`,
    );
  }
  return {
    mode,
    detail: read.oneOf("ADMIN_UI_DETAIL"),
    username: read.string("ADMIN_UI_USERNAME") ?? "admin",
    passwordHash,
  };
}

function authConfig(read: EnvReader): ServerConfig["auth"] {
  const secret = read.raw("AUTH_JWT_SECRET");
  const issuer = read.raw("AUTH_JWT_ISSUER");
  const audience = read.raw("AUTH_JWT_AUDIENCE");
  read.check(secret === undefined || secret.length >= 32, "AUTH_JWT_SECRET must be at least 32 characters");
  read.check(
    secret !== undefined || (issuer ?? audience) === undefined,
    "AUTH_JWT_ISSUER/AUDIENCE need AUTH_JWT_SECRET",
  );
  if (secret === undefined) return undefined;
  return { secret, ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
}

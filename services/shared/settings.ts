/**
 * Every setting of the deployment, declared once: name, default, bounds, what it means and who reads it.
 *
 * The services read their environment through `EnvReader` (config.ts), which takes defaults and bounds from
 * here; `.env.example` and the tables of docs/configuration.md are generated from here
 * (`npm run settings:docs`); and tests check that `docker-compose.yml` passes each service the settings it
 * reads, repeats no default, and gives stops the grace their timeouts need (test/scripts/settings-docs.test.ts,
 * test/services/shared/settings-compose.test.ts).
 * Add a setting here first; the compiler then refuses a reader for a name that is not declared.
 */
import { LOG_LEVELS } from "./logger.js";

/** Who reads a setting: a service (and so its container in Compose), Compose itself, or `npm run stack`. */
export type Reader = "replica" | "broadcaster" | "nginx-config" | "compose" | "stack";

/** Where a setting is documented (one table and one `.env.example` section each). */
export type Group = "replica" | "broadcaster" | "nginx" | "compose" | "stack";

interface Common {
  group: Group;
  readBy: readonly Reader[];
  /** One paragraph, for `.env.example` and docs/configuration.md (backticks allowed). */
  description: string;
  /**
   * How `docker-compose.yml` gives it to the containers that read it:
   * - `pass` (the default): named without a value, so `.env` or the shell sets it and an unset one keeps the
   *   service's own default (no default is repeated in Compose);
   * - `set`: Compose sets it (a fixed port inside the container, a URL built from the password);
   * - `omit`: never passed, for the reason given.
   */
  compose?: "pass" | "set" | { omit: string };
  /** What `${NAME:-…}` falls back to in docker-compose.yml when it is not this setting's own default. */
  composeDefault?: string;
  /** Shown in `.env.example` instead of a blank value. */
  example?: string;
  /** Shown as the default when it is computed at start (the CPU count, the hostname). */
  defaultText?: string;
}

export interface IntegerSetting extends Common {
  type: "integer";
  default?: number;
  min: number;
  max: number;
}
export interface StringSetting extends Common {
  type: "string";
  default?: string;
  /**
   * Never printed back in an error message; may be given as a file instead, named by `NAME_FILE` (Docker and
   * Swarm secrets; config.ts).
   */
  secret?: boolean;
}
export interface EnumSetting extends Common {
  type: "enum";
  values: readonly string[];
  default: string;
}
export interface ListSetting extends Common {
  type: "list";
}
export interface UrlSetting extends Common {
  type: "url";
  protocols: readonly string[];
}
export type Setting = IntegerSetting | StringSetting | EnumSetting | ListSetting | UrlSetting;

const SERVER_AND_BROADCASTER = ["replica", "broadcaster"] as const;
const SERVER_AND_NGINX = ["replica", "nginx-config", "stack"] as const;
const MINUTES_10 = 600_000;

// A table: one setting per block, its short fields on one line (prettier would give each its own line).
// prettier-ignore
export const SETTINGS = {
  // --- Server replicas ---------------------------------------------------------------------------------
  PORT: {
    group: "replica", readBy: ["replica"], type: "integer", default: 3000, min: 0, max: 65_535, compose: "set",
    description: "Where the replica's primary listens (Compose: 3000 inside the container).",
  },
  HOST: {
    group: "replica", readBy: ["replica"], type: "string", default: "0.0.0.0",
    compose: { omit: "every interface of the container, reachable on the backend network only" },
    description: "The address the primary binds.",
  },
  METRICS: {
    group: "replica", readBy: ["replica", "broadcaster"], type: "enum", values: ["on", "off"], default: "on",
    description:
      "`off`: no `/metrics` and no instrumentation (the benchmark compares both: docs/benchmark.md).",
  },
  ADMIN_UI: {
    group: "replica", readBy: ["replica"], type: "enum", values: ["off", "on", "on-without-auth"], default: "off",
    description:
      "The Socket.IO Admin UI: its server part on every worker and its page at `/admin/` (docs/metrics.md). " +
      "`on` asks for `ADMIN_UI_USERNAME` and the password whose bcrypt hash is `ADMIN_UI_PASSWORD_HASH`; " +
      "`on-without-auth` is refused unless `HOST` is a loopback address.",
  },
  ADMIN_UI_DETAIL: {
    group: "replica", readBy: ["replica"], type: "enum", values: ["aggregated", "sockets"], default: "aggregated",
    description:
      "`aggregated`: the Admin UI shows servers and counts (its `production` mode); `sockets`: also every " +
      "socket, room and event as they happen (`development` mode), which costs the workers a message to the " +
      "admin namespace per connection, disconnection and room change.",
  },
  ADMIN_UI_USERNAME: {
    group: "replica", readBy: ["replica"], type: "string", default: "admin",
    description: "The Admin UI's user name.",
  },
  ADMIN_UI_PASSWORD_HASH: {
    group: "replica", readBy: ["replica"], type: "string", secret: true,
    description:
      "bcrypt hash of the Admin UI's password (`node -e \"console.log(require('bcryptjs').hashSync(process.argv[1], 10))\" 'your password'`).",
  },
  METRICS_PORT: {
    group: "replica", readBy: ["replica", "broadcaster"], type: "integer", default: 9464, min: 0, max: 65_535,
    compose: { omit: "9464 inside every container, on the backend network only, where Prometheus scrapes it" },
    description:
      "Where `/metrics` is served (Prometheus text format): by a replica's primary for all its workers, on " +
      "`HOST`, and by the broadcaster, on `BROADCASTER_HOST`; 0 picks a free port (logged). docs/metrics.md.",
  },
  METRICS_WORKER_TIMEOUT_MS: {
    group: "replica", readBy: ["replica"], type: "integer", default: 1_000, min: 50, max: 60_000,
    description:
      "How long a scrape waits for each worker: one that does not answer in time (restarting, busy) is left " +
      "out of that scrape and counted in `socketio_metrics_workers_missing`; the scrape never fails for it.",
  },
  WORKERS: {
    group: "replica", readBy: ["replica", "compose"], type: "integer", min: 1, max: 256,
    defaultText: "CPUs available", compose: "set",
    // Compose runs its three replicas on one host: CPUs available per replica would be 3 × the cores (24
    // workers on an 8-core laptop), and what the demo page, the docs and test:compose show would depend on
    // the machine. Swarm keeps the default (a replica per node).
    composeDefault: "2",
    description:
      "Cluster workers per replica. Replicas that share a host: at most its cores in all (measured on 2 cores: " +
      "2 replicas × 2 workers made the first messages after a connection burst wait for a core, docs/benchmark.md). " +
      "Compose: 2 unless set (its three replicas share one host: 6 workers, for 6 cores or more; `WORKERS=1` on " +
      "fewer); `npm run stack`: `STACK_WORKERS`.",
  },
  REPLICA_NAME: {
    group: "replica", readBy: ["replica"], type: "string", defaultText: "hostname",
    compose: { omit: "one value for every replica; each container's hostname tells them apart" },
    description: "Shown in `hello`, `/readyz` and every log line.",
  },
  REDIS_URL: {
    group: "replica", readBy: ["replica", "broadcaster"], type: "url", protocols: ["redis:", "rediss:"],
    compose: "set", example: "redis://localhost:6379",
    description:
      "`redis://[:password@]host:port`. Replicas: use the Redis adapter (several replicas); unset, the cluster " +
      "adapter (one replica, no Redis). Required by the broadcaster. Compose builds it from `REDIS_PASSWORD`.",
  },
  REDIS_PASSWORD_FILE: {
    group: "replica", readBy: ["replica", "broadcaster"], type: "string",
    compose: { omit: "Compose puts the password into REDIS_URL; this is for Docker secrets (docs/swarm.md)" },
    description:
      "A file holding Redis's password (a Docker or Swarm secret, `/run/secrets/…`), used with `REDIS_URL` in " +
      "place of a password in the URL.",
  },
  REDIS_KEY: {
    group: "replica", readBy: SERVER_AND_BROADCASTER, type: "string", default: "socket.io",
    description: "Prefix of the adapter's channels and the history's keys; the broadcaster uses the same.",
  },
  STICKY_METHOD: {
    group: "replica", readBy: ["replica"], type: "enum", values: ["round-robin", "least-connection", "random"],
    default: "round-robin",
    description:
      "How the primary picks a worker for a new session; `least-connection` counts sessions only once they " +
      "exist, so a burst lands on one worker.",
  },
  SHUTDOWN_TIMEOUT_MS: {
    group: "replica", readBy: [...SERVER_AND_BROADCASTER, "compose"], type: "integer", default: 10_000, min: 2_000,
    max: MINUTES_10,
    description:
      "The whole graceful stop: a service exits within it, killing what has not finished 1 s before the end " +
      "(exit 1). Compose makes it the `stop_grace_period` of the replicas and the broadcaster.",
  },
  DRAIN_DELAY_MS: {
    group: "replica", readBy: ["replica"], type: "integer", default: 0, min: 0, max: MINUTES_10,
    description:
      "On SIGTERM, how long to answer `/readyz` 503 and refuse new sessions before closing sockets (for load " +
      "balancers that poll `/readyz`; nginx needs none). Must leave time within `SHUTDOWN_TIMEOUT_MS`.",
  },
  WARM_UP_SOCKETS: {
    group: "replica", readBy: ["replica"], type: "integer", default: 500, min: 0, max: 10_000,
    description:
      "Before a worker takes clients, it opens this many loopback WebSocket connections to itself (from a child " +
      "process) and broadcasts to them (`WARM_UP_BROADCASTS` times), so that its first broadcasts to real " +
      "clients do not run cold code: 1-3 s per worker at start-up, a shorter cold window after it, no steady " +
      "cost measured (docs/benchmark.md). 0 turns it off; respawned workers skip it.",
  },
  WARM_UP_BROADCASTS: {
    group: "replica", readBy: ["replica"], type: "integer", default: 25, min: 0, max: 1_000,
    description: "How many broadcasts the warm-up sends, each awaited by all its connections; 0 turns it off.",
  },
  LISTEN_BACKLOG: {
    group: "replica", readBy: ["replica"], type: "integer", default: 4096, min: 1, max: 65_535,
    description: "Pending connections the kernel queues per replica (capped by `net.core.somaxconn`).",
  },
  PING_INTERVAL_MS: {
    group: "replica", readBy: SERVER_AND_NGINX, type: "integer", default: 25_000, min: 1_000, max: MINUTES_10,
    description: "Engine.IO heartbeat period; nginx's proxy timeouts derive from it and `PING_TIMEOUT_MS`.",
  },
  PING_TIMEOUT_MS: {
    group: "replica", readBy: SERVER_AND_NGINX, type: "integer", default: 20_000, min: 1_000, max: MINUTES_10,
    description: "How long a missing pong is tolerated; nginx's proxy timeouts derive from it.",
  },
  CONNECT_TIMEOUT_MS: {
    group: "replica", readBy: ["replica"], type: "integer", default: 45_000, min: 1_000, max: MINUTES_10,
    description: "How long a client may take to join the main namespace after the Engine.IO handshake.",
  },
  MAX_HTTP_BUFFER_SIZE: {
    group: "replica", readBy: SERVER_AND_NGINX, type: "integer", default: 1_000_000, min: 1_024,
    max: 100_000_000,
    description:
      "Largest message in bytes; a bigger one closes the connection. nginx's `client_max_body_size` follows it.",
  },
  ALLOWED_ORIGINS: {
    group: "replica", readBy: ["replica", "compose"], type: "list", compose: "set",
    defaultText: "`http://localhost:PORT`, `http://127.0.0.1:PORT`, `http://[::1]:PORT`",
    composeDefault: "http://localhost:${HTTP_PORT:-8080},http://127.0.0.1:${HTTP_PORT:-8080}",
    example: "https://app.example.com",
    description:
      "Browser origins allowed to connect, comma-separated, the page's own included; any other `Origin` gets " +
      "403, and `*` is refused. Compose: nginx's URL on `HTTP_PORT` by default. Replaces `CORS_ORIGINS`.",
  },
  REDIS_REQUESTS_TIMEOUT_MS: {
    group: "replica", readBy: ["replica"], type: "integer", default: 5_000, min: 100, max: MINUTES_10,
    description:
      "How long cluster-wide requests (`fetchSockets`, `serverSideEmitWithAck`, the `servers` event) wait for " +
      "every server, whatever state Redis is in.",
  },
  EVENT_RATE_LIMIT: {
    group: "replica", readBy: ["replica"], type: "integer", default: 20, min: 1, max: 100_000,
    description:
      "Events per second per connection (all its namespace sockets together), sustained; packets of any kind " +
      "(CONNECTs included) are limited at 3 times this.",
  },
  EVENT_BURST: {
    group: "replica", readBy: ["replica"], type: "integer", default: 40, min: 1, max: 100_000,
    description:
      "Events a connection may send at once; also the refusals in a row after which it is disconnected; " +
      "packets: 3 times this.",
  },
  MAX_ROOMS_PER_SOCKET: {
    group: "replica", readBy: ["replica"], type: "integer", default: 50, min: 1, max: 100_000,
    description: "Rooms one socket may be in.",
  },
  AUTH_JWT_SECRET: {
    group: "replica", readBy: ["replica"], type: "string", secret: true,
    description:
      "32+ characters: clients must send an HS256 JWT (with `exp`) in `auth.token`; unset, no authentication.",
  },
  AUTH_JWT_ISSUER: {
    group: "replica", readBy: ["replica"], type: "string",
    description: "The `iss` claim required when set (needs `AUTH_JWT_SECRET`).",
  },
  AUTH_JWT_AUDIENCE: {
    group: "replica", readBy: ["replica"], type: "string",
    description: "The `aud` claim required when set (needs `AUTH_JWT_SECRET`).",
  },
  PER_MESSAGE_DEFLATE: {
    group: "replica", readBy: ["replica"], type: "enum", values: ["true", "false"], default: "false",
    description: "WebSocket compression (permessage-deflate): bandwidth for CPU per message per client.",
  },
  SOCKET_PARSER: {
    group: "replica", readBy: ["replica"], type: "enum", values: ["default", "msgpack"], default: "default",
    description:
      "`msgpack`: binary frames (`socket.io-msgpack-parser`); every client must use it too (the demo page " +
      "then loads `socket.io.msgpack.min.js`).",
  },
  HISTORY_SIZE: {
    group: "replica", readBy: SERVER_AND_BROADCASTER, type: "integer", default: 1000, min: 1, max: 1_000_000,
    description:
      "Messages kept per channel (everyone, or one room) for clients that resume; the broadcaster uses the same.",
  },
  HISTORY_TTL_MS: {
    group: "replica", readBy: SERVER_AND_BROADCASTER, type: "integer", default: 300_000, min: 1_000,
    max: 86_400_000,
    description: "How long a message is kept: the longest absence a client recovers from.",
  },
  LOG_LEVEL: {
    group: "replica", readBy: SERVER_AND_BROADCASTER, type: "enum", values: LOG_LEVELS, default: "info",
    description: "JSON lines, or short human lines on a terminal.",
  },

  // --- Broadcaster -------------------------------------------------------------------------------------
  BROADCASTER_TOKEN: {
    group: "broadcaster", readBy: ["broadcaster"], type: "string", secret: true,
    description:
      "Bearer token for `POST /broadcast`, 16+ characters (`openssl rand -hex 24`); unset keeps the API off (503).",
  },
  BROADCASTER_PORT: {
    group: "broadcaster", readBy: ["broadcaster", "compose"], type: "integer", default: 8081, min: 0,
    max: 65_535, compose: "set",
    description: "The HTTP API's port (Compose: 8081 inside, published on this port of the host's loopback).",
  },
  BROADCASTER_HOST: {
    group: "broadcaster", readBy: ["broadcaster"], type: "string", default: "127.0.0.1", compose: "set",
    description: "Keep it loopback or internal (Compose binds 0.0.0.0 inside the container).",
  },
  TICK_INTERVAL_MS: {
    group: "broadcaster", readBy: ["broadcaster"], type: "integer", default: 1000, min: 0, max: 86_400_000,
    description: "Period of the `tick` event; 0 turns it off.",
  },
  BROADCAST_BODY_LIMIT: {
    group: "broadcaster", readBy: ["broadcaster"], type: "integer", default: 65_536, min: 64, max: 10_000_000,
    description: "Largest `POST /broadcast` body in bytes (413 above).",
  },
  BROADCAST_REQUEST_TIMEOUT_MS: {
    group: "broadcaster", readBy: ["broadcaster"], type: "integer", default: 10_000, min: 100, max: MINUTES_10,
    description: "A request, body included, must arrive within this (408 otherwise).",
  },
  BROADCAST_RATE_LIMIT: {
    group: "broadcaster", readBy: ["broadcaster"], type: "integer", default: 100, min: 1, max: 1_000_000,
    description: "`POST /broadcast` requests per second per client address (429 above); wrong tokens count too.",
  },
  BROADCAST_BURST: {
    group: "broadcaster", readBy: ["broadcaster"], type: "integer", default: 200, min: 1, max: 1_000_000,
    description: "`POST /broadcast` requests one client address may send at once.",
  },

  // --- nginx (scripts/nginx-config-cli.ts; the stack renders the same) ----------------------------------
  NGINX_LISTEN: {
    group: "nginx", readBy: ["nginx-config"], type: "string", default: "80", compose: "set",
    description: "nginx's `listen` argument, e.g. `8080` or `127.0.0.1:8080`.",
  },
  NGINX_STATUS_LISTEN: {
    group: "nginx", readBy: ["nginx-config"], type: "string", compose: "set",
    description:
      "A second `listen` for nginx's `stub_status` alone (Compose: `8090`, on its networks, never published), " +
      "read by the Prometheus nginx exporter; unset: none.",
  },
  NGINX_UPSTREAMS: {
    group: "nginx", readBy: ["nginx-config"], type: "list", compose: "set", example: "replica-1:3000,replica-2:3000",
    description: "Required: the replicas, comma-separated `host:port` (Compose: `replica:3000`, every replica).",
  },
  NGINX_BALANCE: {
    group: "nginx", readBy: ["nginx-config"], type: "enum", values: ["ip_hash", "hash"], default: "ip_hash",
    description:
      "`ip_hash` (the first three octets of IPv4) or `hash` (`hash $remote_addr consistent`: the whole address).",
  },
  NGINX_WORKER_CONNECTIONS: {
    group: "nginx", readBy: ["nginx-config"], type: "integer", default: 16_384, min: 64, max: 1_000_000,
    description: "Connections per nginx worker; every client holds two.",
  },
  NGINX_HANDSHAKE_RATE: {
    group: "nginx", readBy: ["nginx-config"], type: "integer", default: 20, min: 1, max: 1_000_000,
    description: "New Socket.IO sessions per second per client address at nginx (429 above).",
  },
  NGINX_HANDSHAKE_BURST: {
    group: "nginx", readBy: ["nginx-config"], type: "integer", default: 200, min: 0, max: 1_000_000,
    description: "New sessions one client address may open at once (a NAT's users reconnecting together).",
  },

  // --- Compose only ------------------------------------------------------------------------------------
  HTTP_PORT: {
    group: "compose", readBy: ["compose"], type: "integer", default: 8080, min: 1, max: 65_535,
    description: "nginx's port on the host.",
  },
  HTTP_BIND: {
    group: "compose", readBy: ["compose"], type: "string", default: "127.0.0.1",
    description: "The host address nginx is published on; `0.0.0.0` for every interface (put TLS in front first).",
  },
  REPLICA_MEMORY_LIMIT: {
    group: "compose", readBy: ["compose"], type: "string", default: "1g",
    description: "Memory limit of each replica container (about 36 kB per connection plus ~60 MB per worker).",
  },
  PROMETHEUS_PORT: {
    group: "compose", readBy: ["compose"], type: "integer", default: 9090, min: 1, max: 65_535,
    description:
      "Prometheus's port on the host's loopback, with `docker compose --profile observability up` (docs/metrics.md).",
  },
  REDIS_PASSWORD: {
    group: "compose", readBy: ["compose"], type: "string", default: "local-dev-only-change-me", secret: true,
    description: "Redis's password, used by the replicas and the broadcaster; the default is for a laptop: set your own.",
  },

  // --- npm run stack -----------------------------------------------------------------------------------
  STACK_REPLICAS: {
    group: "stack", readBy: ["stack"], type: "integer", default: 2, min: 1, max: 64,
    description: "Replicas (`--replicas`).",
  },
  STACK_WORKERS: {
    group: "stack", readBy: ["stack"], type: "integer", default: 2, min: 1, max: 64,
    description: "Workers per replica (`--workers`).",
  },
  STACK_PORT: {
    group: "stack", readBy: ["stack"], type: "integer", default: 0, min: 0, max: 65_535,
    description: "nginx's port (`--port`); 0 picks a free one.",
  },
  STACK_BROADCASTER_PORT: {
    group: "stack", readBy: ["stack"], type: "integer", default: 0, min: 0, max: 65_535,
    description: "The broadcaster API's port; 0 picks a free one.",
  },
  STACK_TICK_INTERVAL_MS: {
    group: "stack", readBy: ["stack"], type: "integer", default: 1000, min: 0, max: 86_400_000,
    description: "The broadcaster's `tick` period; 0 turns it off.",
  },
  STACK_BALANCE: {
    group: "stack", readBy: ["stack"], type: "enum", values: ["ip_hash", "hash"], default: "ip_hash",
    description: "nginx's balancing, as `NGINX_BALANCE`.",
  },
} as const satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
export type SettingName = keyof Settings;
type NamesWhere<T> = { [K in SettingName]: Settings[K] extends T ? K : never }[SettingName];
export type IntegerName = NamesWhere<{ type: "integer" }>;
export type StringName = NamesWhere<{ type: "string" }>;
export type StringWithDefault = NamesWhere<{ type: "string"; default: string }>;
export type EnumName = NamesWhere<{ type: "enum" }>;
export type ListName = NamesWhere<{ type: "list" }>;
export type UrlName = NamesWhere<{ type: "url" }>;
export type EnumValue<N extends EnumName> = Settings[N]["values"][number];

/** Settings that were renamed or removed: a service that finds one refuses to start and says what replaced it. */
export const RETIRED_SETTINGS: Readonly<Record<string, string>> = {
  CORS_ORIGINS:
    "CORS_ORIGINS was replaced by ALLOWED_ORIGINS, which lists every allowed origin, the page's own included",
};

/**
 * What a stop keeps of SHUTDOWN_TIMEOUT_MS to end what is left (late workers, requests still arriving) and exit,
 * so that a service is gone before Compose's stop_grace_period (the same value) ends with SIGKILL.
 */
export const SHUTDOWN_RESERVE_MS = 1_000;

/** Every setting, as the generic shape, for the generators and the tests. */
export function allSettings(): [SettingName, Setting][] {
  return Object.entries(SETTINGS) as [SettingName, Setting][];
}

/** How a setting's default reads in the docs. */
export function defaultText(setting: Setting): string | undefined {
  if (setting.defaultText !== undefined) return setting.defaultText;
  if ("default" in setting && setting.default !== undefined) return `\`${String(setting.default)}\``;
  return undefined;
}

import type { Server as HttpServer } from "node:http";
import { Server, type ServerOptions } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import type { Identity } from "../../shared/events.js";
import type { Logger } from "../../shared/logger.js";
import { useAuth, type AuthOptions } from "./auth.js";
import { liveDelivery, type Delivery } from "../delivery/delivery.js";
import { checkOrigins } from "./origin-check.js";
import type { AppServer } from "../socket-types.js";
import { registerHandlers } from "./events/handlers.js";
import { DEFAULT_MAX_ROOMS_PER_SOCKET } from "./rooms.js";
import { limitPayloadDepth } from "./payload-limit.js";
import { DEFAULT_RATE_LIMIT, useRateLimits, type RateLimitOptions } from "./rate-limit.js";
import { registerSync } from "../delivery/sync.js";

export interface SocketServerOptions {
  /** @default 25000 */
  pingIntervalMs: number;
  /** @default 20000 */
  pingTimeoutMs: number;
  /** @default 45000 */
  connectTimeoutMs: number;
  /** @default 1000000 bytes */
  maxHttpBufferSize: number;
  /** Browser origins allowed to use the server, the demo page's own included (see origin-check.ts). */
  allowedOrigins: readonly string[];
  /** Per-connection event rate limit. @default { perSecond: 20, burst: 40 } */
  rateLimit?: RateLimitOptions;
  /** @default 50 */
  maxRoomsPerSocket?: number;
  /** The bound on cluster-wide requests (`servers`), the adapter's requestsTimeout. @default 5000 */
  redisRequestsTimeoutMs?: number;
  /** Handshake authentication; off when absent. */
  auth?: AuthOptions;
  /** WebSocket permessage-deflate. @default false (Socket.IO's default) */
  perMessageDeflate?: boolean;
  /** Wire format; clients must use the same (`socket.io.msgpack.min.js` in a browser). @default "default" */
  parser?: "default" | "msgpack";
}

export interface SocketServerDeps {
  httpServer: HttpServer;
  /** `createAdapter(...)` of @socket.io/redis-adapter or @socket.io/cluster-adapter; default in-memory. */
  adapter?: ServerOptions["adapter"];
  identity: Identity;
  log: Logger;
  options: SocketServerOptions;
  /** While true, new sessions are refused (the process is shutting down); existing ones carry on. */
  isDraining?: () => boolean;
  /** How handlers publish to rooms; with a history (Redis), clients can resume. @default live only */
  delivery?: Delivery;
}

/**
 * A typed Socket.IO server with the demo handlers. It knows nothing about `cluster` or sticky sessions,
 * so tests can run several of them in one process on the Redis adapter.
 */
export function createSocketServer({
  httpServer,
  adapter,
  identity,
  log,
  options,
  isDraining = () => false,
  delivery: givenDelivery,
}: SocketServerDeps): AppServer {
  const io: AppServer = new Server(httpServer, {
    ...(adapter ? { adapter } : {}),
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    maxHttpBufferSize: options.maxHttpBufferSize,
    ...(options.parser === "msgpack" ? { parser: msgpackParser } : {}),
    perMessageDeflate: options.perMessageDeflate ?? false,
    // Answers browsers' preflights for the allowed origins; every request is checked by checkOrigins below.
    cors: { origin: [...options.allowedOrigins], credentials: true },
    allowRequest: (_req, callback) => {
      if (!isDraining()) return callback(null, true);
      log.info("refused handshake", { reason: "draining" });
      callback("server draining, reconnect", false);
    },
  });
  checkOrigins(io, options.allowedOrigins, log);
  if (options.auth) useAuth(io, options.auth, log);
  // Middlewares run in this order: the rate limit first (a refused event costs nothing more), then the depth check.
  useRateLimits(io, options.rateLimit ?? DEFAULT_RATE_LIMIT, log);
  io.on("connection", (socket) => limitPayloadDepth(socket, log));
  const maxRoomsPerSocket = options.maxRoomsPerSocket ?? DEFAULT_MAX_ROOMS_PER_SOCKET;
  const delivery = givenDelivery ?? liveDelivery(io);
  if (delivery.history) registerSync(io, delivery.history, maxRoomsPerSocket, log);
  registerHandlers(io, {
    identity,
    log,
    maxRoomsPerSocket,
    delivery,
    requestsTimeoutMs: options.redisRequestsTimeoutMs ?? 5_000,
  });
  return io;
}

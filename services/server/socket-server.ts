import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server, type ServerOptions } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import type { Identity } from "../shared/events.js";
import type { Logger } from "../shared/logger.js";
import { useAuth, type AuthOptions } from "./auth.js";
import { DEFAULT_MAX_ROOMS_PER_SOCKET, registerHandlers, type AppServer } from "./handlers.js";
import { DEFAULT_RATE_LIMIT, rateLimit, type RateLimitOptions } from "./rate-limit.js";

export interface SocketServerOptions {
  /** @default 25000 */
  pingIntervalMs: number;
  /** @default 20000 */
  pingTimeoutMs: number;
  /** @default 45000 */
  connectTimeoutMs: number;
  /** @default 1000000 bytes */
  maxHttpBufferSize: number;
  /** Origins allowed besides the page's own; empty means same origin only. */
  corsOrigins: readonly string[];
  /** Per-socket event rate limit. @default { perSecond: 20, burst: 40 } */
  rateLimit?: RateLimitOptions;
  /** @default 50 */
  maxRoomsPerSocket?: number;
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
}: SocketServerDeps): AppServer {
  const io: AppServer = new Server(httpServer, {
    ...(adapter ? { adapter } : {}),
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    maxHttpBufferSize: options.maxHttpBufferSize,
    ...(options.parser === "msgpack" ? { parser: msgpackParser } : {}),
    perMessageDeflate: options.perMessageDeflate ?? false,
    ...(options.corsOrigins.length > 0 ? { cors: { origin: [...options.corsOrigins], credentials: true } } : {}),
    allowRequest: (req, callback) => {
      const refusal = isDraining() ? "server draining, reconnect" : originRefusal(req, options.corsOrigins);
      if (refusal) log.info("refused handshake", { reason: refusal, origin: req.headers.origin });
      callback(refusal ?? null, refusal === undefined);
    },
  });
  if (options.auth) useAuth(io, options.auth, log);
  const limits = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  io.on("connection", (socket) => rateLimit(socket, limits, log));
  registerHandlers(io, { identity, log, maxRoomsPerSocket: options.maxRoomsPerSocket ?? DEFAULT_MAX_ROOMS_PER_SOCKET });
  return io;
}

/**
 * Browsers send `Origin` on cross-site requests, and CORS does not apply to WebSocket upgrades, so without
 * this check any web page could open a socket with a visitor's cookies (cross-site WebSocket hijacking).
 * Clients that send no Origin (Node, curl, mobile apps) are not browsers acting for someone else.
 * @see https://socket.io/docs/v4/handling-cors/
 */
export function originRefusal(req: IncomingMessage, allowed: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || allowed.includes(origin)) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return "malformed Origin header";
  }
  // Behind nginx, Host is the one the browser used (proxy_set_header Host $http_host).
  if (host === req.headers.host) return undefined;
  return "origin not allowed (set CORS_ORIGINS)";
}

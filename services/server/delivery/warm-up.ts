import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { Server as HttpServer } from "node:http";
import type { Namespace } from "socket.io";
import { Emitter } from "@socket.io/redis-emitter";
import msgpackParser from "socket.io-msgpack-parser";
import type { Logger } from "../../shared/logger.js";
import { withTimeout } from "../../shared/signals.js";
import type { RedisClient } from "../../shared/redis.js";
import type { AppServer } from "../socket-types.js";
import { WarmUpClients } from "./warm-up-clients.js";

/**
 * The namespace the warm-up uses and then removes. It has no middleware and no handlers, so the application
 * never sees its sockets (no auth, no `hello`, no presence), and its broadcasts are not counted as deliveries
 * (adapters.ts). Its channel on Redis (`<key>#/_warm-up#`) is not a prefix of the main namespace's.
 */
export const WARM_UP_NAMESPACE = "/_warm-up";

/** How long one warm-up broadcast may take to reach every warm-up socket before the warm-up gives up. */
const BROADCAST_TIMEOUT_MS = 2_000;
/** How often the first broadcast is sent again until it arrives: the namespace's subscription may not be active. */
const FIRST_DELIVERY_RETRY_MS = 250;
/** How long connecting, or closing, the warm-up sockets may take. */
const SOCKETS_TIMEOUT_MS = 10_000;

export interface WarmUpOptions {
  /** `WARM_UP_SOCKETS`: loopback WebSocket connections the warm-up opens; 0 turns it off. @default 500 */
  sockets: number;
  /** `WARM_UP_BROADCASTS`: broadcasts sent to them, each awaited by all of them. @default 25 */
  broadcasts: number;
  /** The server's wire format, which the warm-up sockets speak. @default "default" */
  parser?: "default" | "msgpack";
}

export interface WarmUpDeps {
  io: AppServer;
  /** The server `io` is attached to; the warm-up hands it loopback connections, as sticky does. */
  httpServer: HttpServer;
  /** With Redis: broadcasts are published there and come back through the adapter, as real ones do. */
  redis?: { client: RedisClient; key: string; isReady: () => boolean };
  log: Logger;
}

export interface WarmUpResult {
  ms: number;
  sockets: number;
  broadcasts: number;
  /** "redis": published on Redis and received through the adapter; "local": broadcast by this worker. */
  path: "redis" | "local" | "none";
  /** The loopback port its sockets connected to (0: none). */
  port: number;
}

/**
 * Runs the broadcast path of a fresh worker before it takes clients: opens `sockets` loopback WebSocket
 * connections to its own `io` (a private namespace), sends them `broadcasts` broadcasts one after another
 * (through Redis and the adapter when Redis is up), then closes everything. Never throws: a warm-up that
 * cannot finish is logged and cut short, and the worker starts anyway.
 *
 * Why: a fresh process's first broadcasts to many sockets run code V8 has not compiled yet (the adapter's
 * decode, the per-socket write through Socket.IO, Engine.IO and `ws`); each worker pays that again, on cores
 * the clients share, in the first seconds after they connect. Measured with the benchmark (1000 clients ×
 * 25 msg/s, 2 replicas × 1 worker, eight rounds alternating, 500 sockets × 25 broadcasts, the clients in a
 * process of their own: warm-up-clients.ts): the first 2 s after connecting at p99 ×1.45 the steady p99 above
 * the proxy hop against ×2.01 without it (39 against 58 ms), ×1.93 against ×2.12 through nginx (73 against
 * 86 ms), the steady CPU per message unchanged (tuning.md, "Issue 13, tenth session"); fourteen rounds over
 * two runs: 44 against 55 ms and 73 against 97 ms. Hence on by default (`WARM_UP_SOCKETS=500`).
 */
export async function warmUp(options: WarmUpOptions, deps: WarmUpDeps): Promise<WarmUpResult> {
  const started = performance.now();
  let port = 0;
  const result = (sockets: number, broadcasts: number, path: WarmUpResult["path"]): WarmUpResult => ({
    ms: Math.round(performance.now() - started),
    sockets,
    broadcasts,
    path,
    port,
  });
  if (options.sockets <= 0 || options.broadcasts <= 0) return result(0, 0, "none");

  const { io, log } = deps;
  // Untyped: its one event is not the application's.
  const nsp: Namespace = io.of(WARM_UP_NAMESPACE) as unknown as Namespace;
  const room = randomUUID();
  // When each of their Engine.IO connections closes: the warm-up ends when they are all gone.
  const closed: Array<Promise<void>> = [];
  nsp.on("connection", (socket) => {
    void socket.join(room);
    closed.push(new Promise<void>((resolve) => socket.conn.once("close", () => resolve())));
  });
  // Loopback connections handed to the http server the way @socket.io/sticky hands the primary's.
  const listener = createServer((socket: Socket) => deps.httpServer.emit("connection", socket));
  // Exclusive: in a cluster worker, a plain listen(0) gets the port every worker of the replica shares, and
  // the primary would deal the connections out among them.
  // @see https://nodejs.org/api/net.html#serverlistenoptions-callback (exclusive)
  listener.listen({ port: 0, host: "127.0.0.1", exclusive: true });
  const clients = new WarmUpClients(connectPacket(options.parser ?? "default"));
  try {
    await once(listener, "listening");
    port = (listener.address() as AddressInfo).port;
    const connected = await clients.connect(
      `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
      options.sockets,
      SOCKETS_TIMEOUT_MS,
    );
    if (connected === 0) {
      log.warn("warm-up: no socket connected, skipped");
      return result(0, 0, "none");
    }
    log.info("warming up", { sockets: connected, broadcasts: options.broadcasts, clientsPid: clients.pid });
    const redis = deps.redis?.isReady() ? deps.redis : undefined;
    // The emitter drops publish()'s promise; a rejection (Redis gone mid-way) would end the worker. A lost
    // warm-up broadcast is only one not awaited: the timeout below ends the warm-up.
    const client = redis && {
      publish: (channel: string, message: Buffer) => redis.client.publish(channel, message).catch(() => 0),
    };
    const emitter = redis ? new Emitter(client, { key: redis.key }).of(WARM_UP_NAMESPACE) : undefined;
    const publish = (i: number) =>
      emitter ? emitter.to(room).emit("warm-up", i) : nsp.local.to(room).emit("warm-up", i);
    let sent = 0;
    for (; sent < options.broadcasts; sent++) {
      publish(sent);
      // The first is sent again until a copy arrives: the namespace subscribes on Redis when it is created, and
      // a broadcast published before that subscription is active reaches nobody. Copies are counted by index.
      const retry =
        sent === 0 ? setInterval(() => clients.hasArrived(0) || publish(0), FIRST_DELIVERY_RETRY_MS) : undefined;
      const arrived = await clients.reachedAll(sent, BROADCAST_TIMEOUT_MS);
      clearInterval(retry);
      if (!arrived) {
        log.warn("warm-up: a broadcast did not reach every socket in time, cut short", {
          broadcast: sent,
          of: connected,
          timeoutMs: BROADCAST_TIMEOUT_MS,
        });
        break;
      }
    }
    return result(connected, sent, emitter ? "redis" : "local");
  } catch (err) {
    log.warn("warm-up failed, starting without it", { err });
    return result(0, 0, "none");
  } finally {
    await clients.close(SOCKETS_TIMEOUT_MS);
    // `local`: on the Redis adapter, a plain disconnectSockets() reaches every worker's warm-up namespace.
    nsp.local.disconnectSockets(true);
    // What socket.io does with an empty child namespace (cleanupEmptyChildNamespaces): a client asking for
    // this namespace later is refused ("Invalid namespace"), and its Redis subscription goes.
    // @see https://github.com/socketio/socket.io/blob/4.8.1/lib/parent-namespace.ts (createChild)
    void nsp.adapter.close();
    io._nsps.delete(WARM_UP_NAMESPACE);
    listener.close();
    await withTimeout(Promise.all(closed), SOCKETS_TIMEOUT_MS, "warm-up connections closing").catch(() => undefined);
  }
}

/** Engine.IO "message" (4) carrying Socket.IO CONNECT (0) to the warm-up namespace; msgpack frames are binary. */
function connectPacket(parser: "default" | "msgpack"): string | Buffer {
  if (parser === "default") return `40${WARM_UP_NAMESPACE},`;
  // Its types say ArrayBuffer; it returns [Buffer] (index.js 3.0.2: `return [msgpack.encode(packet)]`).
  return (new msgpackParser.Encoder().encode({ type: 0, nsp: WARM_UP_NAMESPACE }) as unknown as Buffer[])[0]!;
}

import { channels, report } from "../../shared/instrumentation.js";
import type { Refusal } from "../../shared/events.js";
import type { Logger } from "../../shared/logger.js";
import { SETTINGS } from "../../shared/settings.js";
import { TokenBucket } from "../../shared/token-bucket.js";
import type { AppServer, AppSocket } from "../socket-types.js";

/** The Engine.IO connection under a Socket.IO socket (one per client, shared by its namespaces). */
type EngineSocket = AppSocket["conn"];

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  perSecond: SETTINGS.EVENT_RATE_LIMIT.default,
  burst: SETTINGS.EVENT_BURST.default,
};

/**
 * How many Socket.IO packets of any kind a connection may send, as a multiple of its event allowance: room for
 * a burst of events and as many refused ones (after which the event limit disconnects it, with acks), plus
 * CONNECTs and acks.
 */
export const PACKETS_PER_EVENT = 3;

export interface RateLimitOptions {
  /** Sustained events per second per connection. @default 20 */
  perSecond: number;
  /** Events a connection may send at once before the sustained rate applies; also how many refusals in a row
   * count as persistent abuse, which closes the connection. @default 40 */
  burst: number;
}

/** What one Engine.IO connection has spent; shared by every namespace socket it opens. */
interface ConnectionBudget {
  events: TokenBucket;
  packets: TokenBucket;
  /** Events refused in a row. */
  refusals: number;
  refusedTotal: number;
  /** The connection was closed for abuse (and that was logged, once). */
  closed: boolean;
  /** Its sockets in the main namespace, to disconnect them in words the client understands. */
  sockets: Set<AppSocket>;
}

/**
 * Rate limits per connection, not per namespace socket.
 *
 * Why per connection: a namespace socket is cheap to re-create. A client that sends CONNECT, 39 events and
 * DISCONNECT, over and over on one WebSocket, got a fresh bucket for every socket and delivered 533 chat
 * messages a second with a limit of 20. Two budgets, both kept per Engine.IO connection:
 *
 * 1. **Events** (`socket.use`, every namespace of the connection): over the limit, the event is dropped and its
 *    ack gets `{ ok: false, error }`, so a well-behaved client knows to slow down; `burst` refusals in a row
 *    disconnect the connection (`io server disconnect`: socket.io-client does not reconnect by itself).
 * 2. **Packets** of every kind (CONNECT and DISCONNECT to any namespace, known or not, events, acks), counted
 *    where Engine.IO hands them over, at {@link PACKETS_PER_EVENT} times the event allowance: past it the
 *    connection is disconnected at once. 5000 CONNECTs to an unknown namespace were each answered before.
 *    Socket.IO handles events a tick after it decodes them, so a blast of more packets than that in one read
 *    trips this budget before the first one: its events are dropped without acks.
 *
 * Abuse is logged once per connection, when it is closed, with what it did; refusals below that are debug lines.
 * New connections per client address are limited in front, by nginx (`limit_req` on handshakes).
 * @see https://socket.io/docs/v4/middlewares/#socket-middleware (socket.use)
 */
export function useRateLimits(io: AppServer, { perSecond, burst }: RateLimitOptions, log: Logger): void {
  const budgets = new WeakMap<EngineSocket, ConnectionBudget>();
  const budgetOf = (conn: EngineSocket): ConnectionBudget => {
    let budget = budgets.get(conn);
    if (!budget) {
      budget = {
        events: new TokenBucket(perSecond, burst),
        packets: new TokenBucket(perSecond * PACKETS_PER_EVENT, burst * PACKETS_PER_EVENT),
        refusals: 0,
        refusedTotal: 0,
        closed: false,
        sockets: new Set(),
      };
      budgets.set(conn, budget);
    }
    return budget;
  };
  const closeForAbuse = (conn: EngineSocket, budget: ConnectionBudget, why: string, fields: object) => {
    if (budget.closed) return false;
    budget.closed = true;
    log.warn(`closing a connection: ${why}`, {
      address: conn.remoteAddress,
      // Behind nginx, the client's own address (nginx appends it).
      forwardedFor: conn.request.headers["x-forwarded-for"],
      refusedEvents: budget.refusedTotal,
      perSecond,
      burst,
      ...fields,
    });
    return true;
  };

  io.engine.on("connection", (conn: EngineSocket) => {
    const budget = budgetOf(conn);
    // Emitted for each Engine.IO packet before Socket.IO decodes it; "message" packets carry Socket.IO's.
    conn.on("packet", (packet: { type: string }) => {
      if (packet.type !== "message" || budget.packets.take()) return;
      if (!closeForAbuse(conn, budget, "too many packets", { packetsPerSecond: perSecond * PACKETS_PER_EVENT })) {
        return;
      }
      report(channels.rateLimited, () => ({ kind: "packets" }));
      // At once, so that Engine.IO drops the rest of what was read with this packet. A DISCONNECT first
      // (`io server disconnect`): socket.io-client then does not reconnect by itself, as it would after a
      // plain transport close. The events read before this one are dropped too.
      const [socket] = budget.sockets;
      if (socket) socket.disconnect(true);
      else conn.close();
    });
  });

  io.on("connection", (socket) => {
    const budget = budgetOf(socket.conn);
    budget.sockets.add(socket);
    socket.on("disconnect", () => budget.sockets.delete(socket));
    socket.use((packet, next) => {
      if (budget.events.take()) {
        budget.refusals = 0;
        return next();
      }
      budget.refusals++;
      budget.refusedTotal++;
      report(channels.rateLimited, () => ({ kind: "event" }));
      const ack = packet[packet.length - 1];
      // Every ack in the event contract accepts a Refusal (checked by EveryAckAcceptsRefusal in events.ts).
      if (typeof ack === "function")
        (ack as (r: Refusal) => void)({ ok: false, error: "rate limit exceeded, slow down" });
      if (budget.refusals >= burst) {
        if (
          closeForAbuse(socket.conn, budget, "it keeps sending events over the rate limit", {
            sid: socket.id,
            event: packet[0],
          })
        ) {
          report(channels.rateLimited, () => ({ kind: "disconnect" }));
          // After the events already let through: Socket.IO dispatches them on the next tick and drops them
          // if the socket is gone by then, so a flood read in one chunk lost the acks of its served burst
          // (seen on Node 24 in CI). setImmediate runs after those ticks.
          // @see https://github.com/socketio/socket.io/blob/socket.io%404.8.4/packages/socket.io/lib/socket.ts (dispatch: process.nextTick, `if (this.connected)`)
          setImmediate(() => socket.disconnect(true));
        }
        return;
      }
      log.debug("ignore event over the rate limit", { sid: socket.id, event: packet[0] });
    });
  });
}

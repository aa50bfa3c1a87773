import type { ClientToServerEvents, Identity } from "../../../shared/events.js";
import type { Logger } from "../../../shared/logger.js";
import type { Delivery } from "../../delivery/delivery.js";
import type { AppServer, AppSocket } from "../../socket-types.js";
import { chatHandlers } from "./chat.js";
import { diagnosticHandlers, serverInfo } from "./diagnostics.js";

/** The client events this folder handles: all of them but `sync`, which the delivery layer owns (delivery/sync.ts). */
export type AppEvents = Omit<ClientToServerEvents, "sync">;

/**
 * One handler per client event. The compiler refuses a map without a handler for an event added to
 * `ClientToServerEvents`. Arguments are `unknown`: clients can send anything, so each handler checks its own.
 */
export type EventHandlers = { [E in keyof AppEvents]: (...args: unknown[]) => void };

export interface EventContext {
  io: AppServer;
  socket: AppSocket;
  identity: Identity;
  log: Logger;
  /** Rooms one socket may be in at once (besides its own). */
  maxRoomsPerSocket: number;
  /** Where room messages are published (kept for clients that resume, with Redis). */
  delivery: Delivery;
  /** The longest a cluster-wide request (`servers`) may take, whatever state Redis is in. */
  requestsTimeoutMs: number;
}

/** Says `hello`, answers `identify` from other servers, and registers every event handler on each socket. */
export function registerHandlers(io: AppServer, ctx: Omit<EventContext, "io" | "socket">): void {
  io.on("identify", (ack) => ack(serverInfo(io, ctx.identity)));

  io.on("connection", (socket) => {
    socket.data.identity = ctx.identity;
    socket.emit("hello", ctx.identity);
    const context = { ...ctx, io, socket };
    const handlers: EventHandlers = { ...diagnosticHandlers(context), ...chatHandlers(context) };
    const listen = socket.on.bind(socket) as (event: string, listener: (...args: unknown[]) => void) => void;
    for (const [event, handle] of Object.entries(handlers)) listen(event, handle);
  });
}

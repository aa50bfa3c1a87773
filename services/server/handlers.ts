import type { Server, Socket } from "socket.io";
import type {
  ClientToServerEvents,
  Identity,
  InterServerEvents,
  Result,
  ServerToClientEvents,
  SocketData,
} from "../shared/events.js";
import type { Logger } from "../shared/logger.js";
import { chatTextError, roomKey, roomNameError } from "../shared/names.js";

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface HandlerContext {
  identity: Identity;
  log: Logger;
}

/**
 * The demo's Socket.IO behaviour, and the place where a fork puts its own events.
 *
 * Clients can send anything, so every argument is `unknown` until checked: a bad payload gets an error in
 * its ack (when there is one) and never throws.
 */
export function registerHandlers(io: AppServer, ctx: HandlerContext): void {
  const { identity, log } = ctx;

  io.on("identify", (ack) => ack(identity));

  io.on("connection", (socket) => {
    socket.data.identity = identity;
    socket.emit("hello", identity);

    socket.on("whoami", (ack: unknown) => {
      if (typeof ack !== "function") return log.debug("ignore whoami without ack", { sid: socket.id });
      ack(identity);
    });

    socket.on("join", (room: unknown, ack: unknown) => {
      reply(socket, log, "join", ack, () => {
        const error = roomNameError(room);
        if (error) return fail(error);
        void socket.join(roomKey(room as string));
        return OK;
      });
    });

    socket.on("leave", (room: unknown, ack: unknown) => {
      reply(socket, log, "leave", ack, () => {
        const error = roomNameError(room);
        if (error) return fail(error);
        void socket.leave(roomKey(room as string));
        return OK;
      });
    });

    socket.on("chat", (message: unknown, ack: unknown) => {
      reply(socket, log, "chat", ack, () => {
        if (typeof message !== "object" || message === null) return fail("message must be { room, text }");
        const { room, text } = message as Record<string, unknown>;
        const error = roomNameError(room) ?? chatTextError(text);
        if (error) return fail(error);
        const key = roomKey(room as string);
        if (!socket.rooms.has(key)) return fail(`join "${room as string}" before chatting in it`);
        socket.to(key).emit("chat", { room: room as string, text: text as string, from: socket.id });
        return OK;
      });
    });
  });
}

const OK: Result = { ok: true };
const fail = (error: string): Result => ({ ok: false, error });

/** Runs `handle` and sends its result to the ack; an event without an ack is logged and dropped. */
function reply(socket: AppSocket, log: Logger, event: string, ack: unknown, handle: () => Result): void {
  if (typeof ack !== "function") {
    return log.debug(`ignore ${event} without ack`, { sid: socket.id });
  }
  (ack as (result: Result) => void)(handle());
}

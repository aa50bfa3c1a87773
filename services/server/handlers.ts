import type { Server, Socket } from "socket.io";
import type {
  ClientToServerEvents,
  Identity,
  InterServerEvents,
  JoinResult,
  Result,
  ServersResult,
  ServerToClientEvents,
  SocketData,
} from "../shared/events.js";
import type { Logger } from "../shared/logger.js";
import { withTimeout } from "../shared/signals.js";
import { chatTextError, roomKey, roomNameError } from "../shared/names.js";
import { SETTINGS } from "../shared/settings.js";
import { mayJoin } from "./auth.js";
import type { Delivery } from "./delivery.js";

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const DEFAULT_MAX_ROOMS_PER_SOCKET = SETTINGS.MAX_ROOMS_PER_SOCKET.default;

export interface HandlerContext {
  identity: Identity;
  log: Logger;
  /** Rooms one socket may be in at once (besides its own). @default 50 */
  maxRoomsPerSocket: number;
  /** Where room messages are published (kept for clients that resume, with Redis). */
  delivery: Delivery;
  /** The longest a cluster-wide request (`servers`) may take, whatever state Redis is in. */
  requestsTimeoutMs: number;
}

/**
 * The demo's Socket.IO behaviour, and the place where a fork puts its own events.
 *
 * Clients can send anything, so every argument is `unknown` until checked: a bad payload gets an error in
 * its ack (when there is one) and never throws.
 */
export function registerHandlers(io: AppServer, ctx: HandlerContext): void {
  const { identity, log, maxRoomsPerSocket, delivery, requestsTimeoutMs } = ctx;

  io.on("identify", (ack) => ack(identity));

  io.on("connection", (socket) => {
    socket.data.identity = identity;
    socket.emit("hello", identity);

    socket.on("whoami", (ack: unknown) => {
      if (typeof ack !== "function") return log.debug("ignore whoami without ack", { sid: socket.id });
      ack(identity);
    });

    socket.on("join", (room: unknown, ack: unknown) => {
      reply(socket, log, "join", ack, async (): Promise<JoinResult> => {
        const error = joinRoom(socket, room, maxRoomsPerSocket);
        if (error) return fail(error);
        // Read after joining: everything published after this position reaches the socket live. Without it
        // (Redis unreachable just now) the join still stands; the client follows the room from its first message.
        const position = await delivery.position(roomKey(room as string)).catch((err: unknown) => {
          log.warn("join without a position: history unavailable", { err, sid: socket.id });
          return undefined;
        });
        return position ? { ok: true, position } : OK;
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
      reply(socket, log, "chat", ack, async () => {
        if (typeof message !== "object" || message === null) return fail("message must be { room, text }");
        const { room, text } = message as Record<string, unknown>;
        const error = roomNameError(room) ?? chatTextError(text);
        if (error) return fail(error);
        const key = roomKey(room as string);
        if (!socket.rooms.has(key)) return fail(`join "${room as string}" before chatting in it`);
        // Every member gets it, the sender too: its copy comes in the room's order, with its position, so a
        // client that resumes never finds its own messages as holes in the room's history.
        await delivery.publish(key, "chat", { room: room as string, text: text as string, from: socket.id });
        return OK;
      });
    });

    socket.on("servers", (ack: unknown) => {
      if (typeof ack !== "function") return log.debug("ignore servers without ack", { sid: socket.id });
      const answer = ack as (result: ServersResult) => void;
      // Waits for every other server the adapter knows of; one that is alive but hung makes it fail after the
      // adapter's requestsTimeout. Our own bound on top: while Redis is unreachable the adapter's request waits
      // in node-redis's offline queue, before its timer starts, and never answered.
      withTimeout(
        io.serverSideEmitWithAck("identify"),
        requestsTimeoutMs,
        `timeout reached (${requestsTimeoutMs} ms)`,
      ).then(
        (others) => answer({ ok: true, servers: [identity, ...others] }),
        (err: Error) => answer({ ok: false, error: `not every server answered: ${err.message}` }),
      );
    });
  });
}

const OK: Result = { ok: true };
const fail = (error: string): Result => ({ ok: false, error });

/**
 * Joins `socket` to the user room `room` if the rules allow it; returns why not otherwise. Used by `join`, and by
 * `sync` when a client that resumes rejoins its rooms.
 */
export function joinRoom(socket: AppSocket, room: unknown, maxRoomsPerSocket: number): string | undefined {
  const error = roomNameError(room);
  if (error) return error;
  const key = roomKey(room as string);
  if (socket.rooms.has(key)) return undefined;
  if (!mayJoin(socket, room as string)) return `not allowed to join "${room as string}"`;
  // socket.rooms also holds the socket's own room.
  if (socket.rooms.size - 1 >= maxRoomsPerSocket) return `room limit reached (${maxRoomsPerSocket})`;
  void socket.join(key);
  return undefined;
}

/**
 * Runs `handle` and sends its result to the ack; an event without an ack is logged and dropped. A handler that
 * throws (or rejects: Redis refused a publish, say) answers an error and logs it: an exception thrown in a
 * Socket.IO event listener is uncaught and would end the worker, with every client on it.
 */
function reply<R extends Result | JoinResult>(
  socket: AppSocket,
  log: Logger,
  event: string,
  ack: unknown,
  handle: () => R | Promise<R>,
): void {
  if (typeof ack !== "function") {
    return log.debug(`ignore ${event} without ack`, { sid: socket.id });
  }
  const answer = ack as (result: R | Result) => void;
  const failed = (err: unknown) => {
    log.error(`${event} handler failed`, { err, sid: socket.id });
    answer(fail("internal error, try again"));
  };
  try {
    const result = handle();
    if (result instanceof Promise) result.then(answer, failed);
    else answer(result);
  } catch (err) {
    failed(err);
  }
}

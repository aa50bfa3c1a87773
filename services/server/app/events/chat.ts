import type { JoinResult } from "../../../shared/events.js";
import { chatTextError, roomKey, roomNameError } from "../../../shared/names.js";
import { joinRoom } from "../rooms.js";
import type { EventContext, EventHandlers } from "./handlers.js";
import { fail, OK, reply } from "./reply.js";

/**
 * The demo's chat: rooms to join and leave, and messages to everyone in a room. This is the file a fork
 * replaces with its own events (docs/fork.md). Clients can send anything, so every argument is `unknown`
 * until checked: a bad payload gets an error in its ack and never throws.
 */
export function chatHandlers({ socket, log, maxRoomsPerSocket, delivery }: EventContext) {
  return {
    join: (room: unknown, ack: unknown) => {
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
    },

    leave: (room: unknown, ack: unknown) => {
      reply(socket, log, "leave", ack, () => {
        const error = roomNameError(room);
        if (error) return fail(error);
        void socket.leave(roomKey(room as string));
        return OK;
      });
    },

    chat: (message: unknown, ack: unknown) => {
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
    },
  } satisfies Partial<EventHandlers>;
}

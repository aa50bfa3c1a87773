import { roomKey, roomNameError } from "../../shared/names.js";
import { SETTINGS } from "../../shared/settings.js";
import type { AppSocket } from "../socket-types.js";
import { mayJoin } from "./auth.js";

export const DEFAULT_MAX_ROOMS_PER_SOCKET = SETTINGS.MAX_ROOMS_PER_SOCKET.default;

/**
 * Joins `socket` to the user room `room` if the rules allow it; returns why not otherwise. The one place for
 * room rules: `join` uses it, and so does `sync` (delivery/sync.ts) when a client that resumes rejoins its rooms.
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

/**
 * Name rules shared by the server handlers and the broadcaster API. Each validator returns an error message,
 * or `undefined` when the value is acceptable, so callers can collect or return them as they wish.
 */

/** 1-64 characters of `[A-Za-z0-9_:.-]`. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_:.-]{1,64}$/;

/** Event names follow the room rule; it keeps them printable and short in logs and Redis channels. */
export const EVENT_NAME_PATTERN = ROOM_NAME_PATTERN;

/** @default 1000 characters */
export const CHAT_TEXT_MAX_LENGTH = 1000;

/**
 * Names that Socket.IO gives a meaning of its own on the client; emitting them would confuse client code.
 * @see https://socket.io/docs/v4/emit-cheatsheet/#reserved-events
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

const ROOM_KEY_PREFIX = "room:";

/**
 * The Socket.IO room that holds the members of a user-named room.
 *
 * Why a prefix: every socket is also in a room named after its own id, and ids match the room rule.
 * Without the prefix, joining "<someone's socket id>" would receive that socket's private messages.
 * @see https://socket.io/docs/v4/rooms/#default-room
 */
export function roomKey(room: string): string {
  return `${ROOM_KEY_PREFIX}${room}`;
}

/** The user room a Socket.IO room key names (the inverse of {@link roomKey}), or undefined if it names none. */
export function roomOfKey(key: string): string | undefined {
  if (!key.startsWith(ROOM_KEY_PREFIX)) return undefined;
  const room = key.slice(ROOM_KEY_PREFIX.length);
  return roomNameError(room) === undefined ? room : undefined;
}

export function roomNameError(room: unknown): string | undefined {
  if (typeof room !== "string") return "room must be a string";
  if (!ROOM_NAME_PATTERN.test(room)) return "room must be 1-64 characters of [A-Za-z0-9_:.-]";
  return undefined;
}

export function eventNameError(event: unknown): string | undefined {
  if (typeof event !== "string") return "event must be a string";
  if (!EVENT_NAME_PATTERN.test(event)) return "event must be 1-64 characters of [A-Za-z0-9_:.-]";
  if (RESERVED_EVENTS.has(event)) return `event "${event}" is reserved by Socket.IO`;
  return undefined;
}

export function chatTextError(text: unknown): string | undefined {
  if (typeof text !== "string") return "text must be a string";
  if (text.length === 0) return "text must not be empty";
  if (text.length > CHAT_TEXT_MAX_LENGTH) return `text must be at most ${CHAT_TEXT_MAX_LENGTH} characters`;
  return undefined;
}

/**
 * Where a message stands in its channel's history: the wire format shared by the servers and the client
 * library. No imports at all: browsers load this file as it is compiled, next to the rest of client/.
 *
 * Every message published through the history (a broadcast to everyone, or to a room) carries, as its event's
 * last argument, `{ "~pos": [channel, epoch, offset, publishedAt] }`:
 * - `channel`: `"*"` for a broadcast to everyone, else the Socket.IO room (`"room:lobby"`);
 * - `epoch`: names one life of the channel's history; it changes when the history was lost (Redis restarted
 *   empty, or the channel stayed idle past its metadata's lifetime), and positions of another epoch mean nothing
 *   (before the first message, a position's epoch is provisional: see isProvisional());
 * - `offset`: 1, 2, 3, … within the epoch, in the order Redis published them, without gaps;
 * - `publishedAt`: when Redis appended it, in milliseconds since the epoch, by Redis's clock (the servers'
 *   delivery-latency metric reads it; a client may ignore it).
 * Clients that do not resume see one more argument and can ignore it.
 */

export const POSITION_KEY = "~pos";

/** The channel of broadcasts to everyone. */
export const ALL_CHANNEL = "*";

export interface Position {
  channel: string;
  /** The channel's life; provisional (see isProvisional()) when nothing was published on it yet. */
  epoch: string | null;
  offset: number;
}

/**
 * Whether `epoch` is provisional: a position taken before the channel's first message (offset 0). The server
 * answers `~<generation>@<time>`: `generation` names one life of Redis's data (Redis restarted empty has
 * another), `time` when it was read. Sent back in `sync`, it lets the server tell "nothing was published since"
 * from "a whole life of the channel was published and lost meanwhile", which a bare offset 0 cannot.
 * `null` is the client's own "nothing known yet", before any answer.
 */
export function isProvisional(epoch: string | null): boolean {
  return epoch === null || epoch.startsWith("~");
}

/** The position a message carries as its last argument, or `undefined` when it carries none. */
export function positionOf(arg: unknown): Position | undefined {
  if (typeof arg !== "object" || arg === null || !(POSITION_KEY in arg)) return undefined;
  const value = (arg as Record<string, unknown>)[POSITION_KEY];
  // Three elements before publishedAt was added: a message kept in the history since still resumes.
  if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4)) return undefined;
  const [channel, epoch, offset] = value as unknown[];
  if (typeof channel !== "string" || typeof epoch !== "string" || typeof offset !== "number") return undefined;
  return { channel, epoch, offset };
}

/** When Redis appended the message whose last argument is `arg` (ms since the epoch), if it says. */
export function publishedAtOf(arg: unknown): number | undefined {
  if (typeof arg !== "object" || arg === null || !(POSITION_KEY in arg)) return undefined;
  const value = (arg as Record<string, unknown>)[POSITION_KEY];
  return Array.isArray(value) && typeof value[3] === "number" ? value[3] : undefined;
}

/** What a client asks for in `sync`: its position per channel (`null`: "I have none, tell me where we are"). */
export interface SyncRequest {
  channels: Record<string, { epoch: string | null; offset: number } | null>;
}

/**
 * Per channel: replayed in full, or not at all and why; and the position to follow from. A new epoch is
 * replayed from its start (offset 0 then): all of it came after the loss.
 */
export type ChannelSync =
  | { recovered: true; replayed: number; epoch: string | null; offset: number }
  | { recovered: false; reason: string; epoch: string | null; offset: number };

export type SyncResult = { ok: true; channels: Record<string, ChannelSync> } | { ok: false; error: string };

import { channels as instrumentation, report } from "../../shared/instrumentation.js";
import { decode } from "notepack.io";
import type { History, HistoryRead } from "../../shared/history.js";
import { TokenBucket } from "../../shared/token-bucket.js";
import type { Logger } from "../../shared/logger.js";
import { roomOfKey } from "../../shared/names.js";
import {
  ALL_CHANNEL,
  isProvisional,
  type ChannelSync,
  type SyncRequest,
  type SyncResult,
} from "../../shared/position.js";
import { joinRoom } from "../app/rooms.js";
import type { AppServer, AppSocket } from "../socket-types.js";

type Wanted = { epoch: string | null; offset: number } | null;

/**
 * `sync`: a client that (re)connects says where it stands in each channel; for each, this rejoins the room
 * (under the same rules as `join`), then replays what it missed, in order, as the same events it would have
 * received live, and answers per channel: replayed in full, or not at all and why (never part of a gap as if
 * it were all of it). The replay is written before the ack, on the same socket, so the ack marks its end.
 *
 * Live messages published meanwhile may reach the socket before the replay does: the client library orders
 * by offset and drops what it already has (client/), so the seam has no gap and no duplicate.
 */
export function registerSync(io: AppServer, history: History, maxRoomsPerSocket: number, log: Logger): void {
  io.on("connection", (socket) => {
    // A sync can replay a whole history (HISTORY_SIZE messages per channel): one at a time, and few of them, so
    // that asking again and again cannot turn one connection into a firehose. A client syncs once per
    // connection, and again only when it sees a gap.
    let running = false;
    const allowance = new TokenBucket(SYNCS_PER_SECOND, SYNC_BURST);
    socket.on("sync", (request: unknown, ack: unknown) => {
      if (typeof ack !== "function") return log.debug("ignore sync without ack", { sid: socket.id });
      const answer = ack as (result: SyncResult) => void;
      const wanted = parseSyncRequest(request, maxRoomsPerSocket + 1);
      if (typeof wanted === "string") return answer({ ok: false, error: wanted });
      const refuse = (error: string) => {
        report(instrumentation.sync, () => ({ outcome: "refused", replayed: 0 }));
        answer({ ok: false, error });
      };
      if (running) return refuse("a sync is already running");
      if (!allowance.take()) return refuse("too many syncs, try again later");
      running = true;
      syncChannels(socket, history, wanted, maxRoomsPerSocket)
        .then(
          (channels) => {
            for (const result of Object.values(channels)) {
              report(instrumentation.sync, () =>
                result.recovered
                  ? { outcome: "recovered", replayed: result.replayed }
                  : { outcome: "not_recovered", replayed: 0, reason: result.reason },
              );
            }
            answer({ ok: true, channels });
          },
          (err: unknown) => {
            log.warn("sync failed", { err, sid: socket.id });
            report(instrumentation.sync, () => ({ outcome: "failed", replayed: 0 }));
            answer({ ok: false, error: "history unavailable, try again" });
          },
        )
        .finally(() => (running = false));
    });
  });
}

/** Syncs a socket may start: sustained per second, and at once. */
export const SYNCS_PER_SECOND = 0.5;
export const SYNC_BURST = 3;

async function syncChannels(
  socket: AppSocket,
  history: History,
  wanted: Map<string, Wanted>,
  maxRoomsPerSocket: number,
): Promise<Record<string, ChannelSync>> {
  const results: Record<string, ChannelSync> = {};
  // Rooms first, all of them: from here on, what is published reaches the socket live.
  const refused = new Map<string, string>();
  for (const channel of wanted.keys()) {
    if (channel === ALL_CHANNEL) continue;
    const error = joinRoom(socket, roomOfKey(channel), maxRoomsPerSocket);
    if (error) refused.set(channel, error);
  }
  const reads = await Promise.all(
    [...wanted].map(async ([channel, position]) => {
      if (refused.has(channel)) return [channel, position, undefined] as const;
      return [channel, position, await history.read(channel, position?.offset)] as const;
    }),
  );
  for (const [channel, position, read] of reads) {
    if (!read) {
      results[channel] = { recovered: false, reason: refused.get(channel)!, epoch: null, offset: 0 };
      continue;
    }
    results[channel] = await resume(socket, history, channel, position, read);
  }
  return results;
}

/** One channel: replays what the socket missed after `position` and says whether that was all of it. */
async function resume(
  socket: AppSocket,
  history: History,
  channel: string,
  position: Wanted,
  read: HistoryRead,
): Promise<ChannelSync> {
  const now = { epoch: read.epoch, offset: read.top };
  if (position === null) return { recovered: true, replayed: 0, ...now };
  if (position.epoch === read.epoch) {
    if (position.offset > read.top) return { recovered: false, reason: "position ahead of the history", ...now };
    if (read.entries === undefined) return { recovered: false, reason: TOO_LONG, ...now };
    for (const entry of read.entries) replay(socket, entry);
    return { recovered: true, replayed: read.entries.length, ...now };
  }
  // Another epoch than the client's. Whatever of the current life is kept from its start came after the client's
  // position, so replay it; whether that is all the client missed depends on where the client stood.
  const fresh = isProvisional(read.epoch) ? { ...read, entries: [] } : await history.read(channel, 0);
  const whole = fresh.epoch === read.epoch && fresh.entries !== undefined;
  if (isProvisional(position.epoch) && history.continues(position.epoch, read)) {
    // The client had seen nothing, and no life of the channel can have come and gone since: nothing lost.
    if (!whole) return { recovered: false, reason: TOO_LONG, ...now };
    for (const entry of fresh.entries!) replay(socket, entry);
    return { recovered: true, replayed: fresh.entries!.length, ...now };
  }
  // The history the client followed (or could have, having seen nothing) is gone: Redis lost its data, or the
  // channel stayed idle past its metadata's lifetime. None of the current life is lost, when it is all kept.
  const reason = isProvisional(read.epoch)
    ? "history lost: Redis lost its data, or the channel stayed idle too long"
    : "history lost: the channel started a new epoch";
  if (!whole) return { recovered: false, reason, ...now };
  for (const entry of fresh.entries!) replay(socket, entry);
  return { recovered: false, reason, ...now, offset: 0 };
}

const TOO_LONG = "gap longer than the history kept (HISTORY_SIZE, HISTORY_TTL_MS)";

/** Writes a kept message to one socket, as the adapter would have: the packet's data is [event, ...args, position]. */
function replay(socket: AppSocket, entry: Buffer): void {
  const [, packet] = decode(entry) as [string, { data: [string, ...unknown[]] }];
  (socket.emit as (event: string, ...args: unknown[]) => boolean)(...packet.data);
}

/** The channels asked for, or what is wrong with the request. */
export function parseSyncRequest(request: unknown, maxChannels: number): Map<string, Wanted> | string {
  const channels = (request as Partial<SyncRequest> | null)?.channels;
  if (typeof channels !== "object" || channels === null || Array.isArray(channels)) {
    return "sync takes { channels: { [channel]: { epoch, offset } | null } }";
  }
  const entries = Object.entries(channels as Record<string, unknown>);
  if (entries.length > maxChannels) return `at most ${maxChannels} channels`;
  const wanted = new Map<string, Wanted>();
  for (const [channel, position] of entries) {
    if (channel !== ALL_CHANNEL && roomOfKey(channel) === undefined) return `unknown channel "${channel.slice(0, 80)}"`;
    if (position === null) {
      wanted.set(channel, null);
      continue;
    }
    const { epoch, offset } = (position ?? {}) as Record<string, unknown>;
    if (!(epoch === null || (typeof epoch === "string" && epoch.length <= 64)) || !Number.isSafeInteger(offset)) {
      return `channel "${channel}": position must be { epoch: string | null, offset: integer }`;
    }
    if ((offset as number) < 0) return `channel "${channel}": offset must not be negative`;
    wanted.set(channel, { epoch: epoch as string | null, offset: offset as number });
  }
  return wanted;
}

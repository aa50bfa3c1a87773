/**
 * A socket.io-client `Socket` that resumes: it follows each channel's position (everyone, and each room it
 * joined with `joinRoom`), and on every (re)connection sends `sync`, so the server rejoins its rooms and
 * replays what it missed. Recovered and live messages reach the same `on(event)` handlers, exactly once and in
 * order; when a gap cannot be filled, `onRecovery` listeners are told which channel and why.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { ClientToServerEvents, JoinResult, Result, ServerToClientEvents } from "../services/shared/events.js";
import { ALL_CHANNEL, positionOf, type ChannelSync, type SyncResult } from "./position.js";
import { ChannelOrder } from "./channel-order.js";

/** Told after each resume, and whenever a channel's gap cannot be filled. */
export interface RecoveryReport {
  /** Every channel was replayed in full (or had nothing to replay). */
  recovered: boolean;
  /** Per channel: replayed, or lost and why. */
  channels: Record<string, ChannelSync | { recovered: false; reason: string }>;
}

export interface ResumableSocket extends Socket<ServerToClientEvents, ClientToServerEvents> {
  /** Joins a room (the `join` event) and follows its position; rejoined by itself after a reconnection. */
  joinRoom(room: string): Promise<JoinResult>;
  /** Leaves a room and stops following it. */
  leaveRoom(room: string): Promise<Result>;
  /** Where this socket stands in each channel it follows. */
  positions(): Record<string, { epoch: string | null; offset: number } | null>;
  /** Listens for recovery reports. */
  onRecovery(listener: (report: RecoveryReport) => void): void;
}

export type ConnectOptions = Partial<ManagerOptions & SocketOptions> & {
  /** How long to wait for `sync`'s answer before trying again on the next connection. @default 10000 */
  syncTimeoutMs?: number;
  /** How long to wait before asking again when the server refused a `sync` (busy, or Redis down). @default 2000 */
  syncRetryMs?: number;
};

/** socket.io-client's private dispatch of a received event: the one place to see every event before handlers. */
interface SocketInternals {
  emitEvent(args: unknown[]): void;
}

/** Connects like `io(url, options)`, and resumes (see the file's comment). */
export function connect(url: string, options: ConnectOptions = {}): ResumableSocket {
  const { syncTimeoutMs = 10_000, syncRetryMs: retryMs = 2_000, ...ioOptions } = options;
  const socket = io(url, ioOptions) as ResumableSocket;
  const listeners: Array<(report: RecoveryReport) => void> = [];
  const report = (r: RecoveryReport) => listeners.forEach((listener) => listener(r));
  /** Channels whose gap is waiting for a sync to be sent (one at a time per channel). */
  let pendingGaps = new Set<string>();
  let gapScheduled = false;

  const order = new ChannelOrder({
    gap: (channel) => {
      pendingGaps.add(channel);
      if (gapScheduled) return;
      gapScheduled = true;
      // Several gaps found while handling one read go out in one sync.
      queueMicrotask(() => {
        gapScheduled = false;
        const channels = pendingGaps;
        pendingGaps = new Set();
        if (socket.connected) sync([...channels], false);
      });
    },
    lost: (channel, reason) => report({ recovered: false, channels: { [channel]: { recovered: false, reason } } }),
  });
  order.track(ALL_CHANNEL);

  const sync = (channels: string[], isResume: boolean) => {
    const all = order.positions();
    const wanted = Object.fromEntries(channels.filter((c) => c in all).map((c) => [c, all[c] ?? null]));
    if (Object.keys(wanted).length === 0) return;
    order.syncing(Object.keys(wanted));
    socket
      .timeout(syncTimeoutMs)
      .emitWithAck("sync", { channels: wanted })
      .then(
        (result: SyncResult) => {
          const answers = result.ok ? result.channels : {};
          for (const channel of Object.keys(wanted)) order.synced(channel, answers[channel]);
          if (!result.ok) {
            // Refused for now (one sync at a time, a few per minute; Redis down): ask again in a moment.
            // (unref: in Node, a pending retry must not keep the process alive; browsers have no such thing.)
            const retry = setTimeout(() => socket.connected && sync(Object.keys(wanted), isResume), retryMs);
            (retry as { unref?: () => void }).unref?.();
            return;
          }
          const hadPositions = Object.values(wanted).some((p) => p !== null);
          const recovered = Object.values(answers).every((a) => a.recovered);
          // The first connection has nothing to recover; after that, say how it went (and always a loss).
          if ((isResume && hadPositions) || !recovered) report({ recovered, channels: answers });
        },
        () => {
          for (const channel of Object.keys(wanted)) order.synced(channel, undefined);
        },
      );
  };

  const internals = socket as unknown as SocketInternals;
  // Checked by every test that resumes; a socket.io-client that renamed it must fail loudly, not silently stop ordering.
  if (typeof internals.emitEvent !== "function") throw new Error("socket.io-client has no emitEvent(): see client/");
  const dispatch = internals.emitEvent.bind(socket);
  internals.emitEvent = (args: unknown[]) => {
    const position = args.length > 0 ? positionOf(args[args.length - 1]) : undefined;
    if (!position) return dispatch(args);
    // Events that arrived before "connect" were frozen by socket.io-client (its receive buffer): copy those.
    const stripped = Object.isFrozen(args) ? args.slice(0, -1) : (args.pop(), args);
    order.receive(position, () => dispatch(stripped));
  };

  socket.on("connect", () => sync(Object.keys(order.positions()), true));

  socket.joinRoom = async (room) => {
    const result = await socket.emitWithAck("join", room);
    if (result.ok) order.track(`room:${room}`, result.position);
    return result;
  };
  socket.leaveRoom = async (room) => {
    order.forget(`room:${room}`);
    return socket.emitWithAck("leave", room);
  };
  socket.positions = () => order.positions();
  socket.onRecovery = (listener) => void listeners.push(listener);
  return socket;
}

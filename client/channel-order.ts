/**
 * Exactly once and in order, per channel: a message is handed to the application only when it is the next
 * offset of its channel; earlier ones (duplicates: a replay overlapping what arrived live) are dropped, later ones
 * wait for the gap to be filled, by the server's replay (`sync`) or by a verdict that it cannot be.
 * No I/O here: the socket wiring is in resumable-socket.ts.
 */
import { isProvisional, type ChannelSync, type Position } from "./position.js";

export interface ChannelOrderEvents {
  /** A gap opened on `channel` (or its epoch changed): ask the server for what is missing. */
  gap(channel: string): void;
  /** A channel could not be recovered: what it missed is lost, and the application must be told. */
  lost(channel: string, reason: string): void;
}

interface Waiting {
  epoch: string | null;
  offset: number;
  deliver: () => void;
}

interface Channel {
  /**
   * The epoch followed; provisional (`null`, or `~…` from the server) until the channel's first message: see
   * isProvisional() in position.ts.
   */
  epoch: string | null;
  /** The last offset handed over; `undefined` until known (the first `sync` answers it). */
  offset: number | undefined;
  /** Arrived early (or during a sync), by offset. */
  waiting: Map<number, Waiting>;
  /** A `sync` for this channel is in flight: hold everything until it answers. */
  syncing: boolean;
  /**
   * Set while `offset` is the server's answer to "where are we" (a `join`, or the first `sync`) and nothing
   * above it was handed over yet: the last offset at or below it handed over since (0 for none).
   *
   * Why: the server reads that position after the socket subscribed (joined the room, or connected), so a
   * message published in between is counted in it and still reaches the socket live, before or after the
   * answer. It is new to the application, not a duplicate: dropping it lost it (most likely what a shuffled CI
   * run hit: the first message after a connection never arrived). Live messages arrive in order, so one at or
   * below the answer is handed over when it is later than the last such one.
   */
  belowAnswer: number | undefined;
}

export class ChannelOrder {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly events: ChannelOrderEvents) {}

  /** Channels tracked, with their positions (`offset` undefined until known): what to send in `sync`. */
  positions(): Record<string, { epoch: string | null; offset: number } | null> {
    const out: Record<string, { epoch: string | null; offset: number } | null> = {};
    for (const [name, channel] of this.channels) {
      out[name] = channel.offset === undefined ? null : { epoch: channel.epoch, offset: channel.offset };
    }
    return out;
  }

  /** Starts tracking `channel` from `position` (a `join` answer), or from "unknown" (the server will say). */
  track(channel: string, position?: Omit<Position, "channel">): void {
    const existing = this.channels.get(channel);
    if (existing && existing.offset !== undefined) return;
    this.channels.set(channel, {
      epoch: position?.epoch ?? null,
      offset: position?.offset,
      waiting: existing?.waiting ?? new Map(),
      syncing: existing?.syncing ?? false,
      belowAnswer: position ? 0 : undefined,
    });
    if (position) this.drain(channel);
  }

  forget(channel: string): void {
    this.channels.delete(channel);
  }

  /** A message with a position arrived; `deliver` hands it to the application. */
  receive(position: Position, deliver: () => void): void {
    const channel = this.channels.get(position.channel) ?? this.adopt(position);
    const { epoch, offset } = position;
    // The common case, on every live message: the next one, nothing waiting, no sync.
    if (
      offset === (channel.offset ?? NaN) + 1 &&
      epoch === channel.epoch &&
      !channel.syncing &&
      channel.waiting.size === 0
    ) {
      channel.offset = offset;
      channel.belowAnswer = undefined;
      deliver();
      return;
    }
    // Published between the socket's subscription and the server's reading of its position (see belowAnswer).
    if (
      channel.belowAnswer !== undefined &&
      epoch === channel.epoch &&
      !channel.syncing &&
      offset <= channel.offset! &&
      offset > channel.belowAnswer
    ) {
      channel.belowAnswer = offset;
      deliver();
      return;
    }
    if (!isProvisional(channel.epoch) && epoch !== channel.epoch) {
      if (channel.syncing) return this.hold(channel, position, deliver);
      // The history this client followed is gone (Redis lost it, or it expired): say so, then follow the new
      // epoch from its start, asking the server for whatever of it came before this message.
      this.events.lost(position.channel, "history lost: the channel started a new epoch");
      channel.epoch = epoch;
      channel.offset = 0;
      channel.waiting.clear();
    }
    // Provisional: the first message of the channel's first life since this client looked starts it (offset 1);
    // anything later waits, and the server, asked with the provisional epoch, says whether a life was missed.
    if (isProvisional(channel.epoch) && offset === 1 && channel.offset === 0 && !channel.syncing) {
      channel.epoch = epoch;
    }
    if (channel.offset !== undefined && offset <= channel.offset) return; // already handed over
    this.hold(channel, position, deliver);
    if (channel.syncing || channel.offset === undefined) return;
    this.drain(position.channel);
    if (channel.waiting.size > 0) this.events.gap(position.channel);
  }

  /** A `sync` including these channels was sent: hold their messages until it answers. */
  syncing(channels: Iterable<string>): void {
    for (const name of channels) {
      const channel = this.channels.get(name);
      if (!channel) continue;
      channel.syncing = true;
      channel.belowAnswer = undefined;
    }
  }

  /** The server's answer for one channel; the replay, if any, has already arrived (it precedes the answer). */
  synced(name: string, result: ChannelSync | undefined): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    channel.syncing = false;
    if (!result) {
      // No answer (disconnected, or an error): keep what waits, and sync again on the next connection.
      return;
    }
    if (!result.recovered) {
      this.events.lost(name, result.reason);
      this.restartAt(channel, result.epoch, result.offset);
    } else if (channel.offset === undefined) {
      // The first answer, "where we are", read after this socket connected: what arrived live meanwhile (held
      // above) and is counted in it is new all the same (see belowAnswer); start below it.
      channel.epoch = result.epoch;
      channel.offset = result.offset;
      channel.belowAnswer = 0;
      const early = [...channel.waiting.values()].filter((w) => w.epoch === result.epoch && w.offset <= result.offset);
      if (early.length > 0) channel.offset = Math.min(...early.map((w) => w.offset)) - 1;
    } else if (isProvisional(channel.epoch) && channel.offset === 0) {
      channel.epoch = result.epoch;
    }
    this.drain(name);
    // Still a hole below what waits: what filled it was lost between the read and now; ask again.
    if (channel.waiting.size > 0) this.events.gap(name);
  }

  private adopt(position: Position): Channel {
    // A channel the application did not announce (joined without joinRoom): follow it from this message on.
    const channel: Channel = {
      epoch: position.epoch,
      offset: position.offset - 1,
      waiting: new Map(),
      syncing: false,
      belowAnswer: undefined,
    };
    this.channels.set(position.channel, channel);
    return channel;
  }

  private hold(channel: Channel, { epoch, offset }: Position, deliver: () => void): void {
    channel.waiting.set(offset, { epoch, offset, deliver });
  }

  /** Follows the channel from `offset` of `epoch`: what waits at or below it is dropped, not handed over. */
  private restartAt(channel: Channel, epoch: string | null, offset: number): void {
    channel.epoch = epoch;
    channel.offset = offset;
    this.dropStale(channel, offset);
    // Live messages of the new position may already wait beyond a hole that nobody can fill: start there.
    if (channel.waiting.size > 0 && !channel.waiting.has(offset + 1)) {
      channel.offset = Math.min(...channel.waiting.keys()) - 1;
    }
  }

  /** Drops what waits at or below `offset`, and what belongs to another epoch than a real one followed. */
  private dropStale(channel: Channel, offset: number): void {
    for (const [at, waiting] of channel.waiting) {
      if (at <= offset || (!isProvisional(channel.epoch) && waiting.epoch !== channel.epoch))
        channel.waiting.delete(at);
    }
  }

  /** Hands over every message that is next in line. */
  private drain(name: string): void {
    const channel = this.channels.get(name);
    if (!channel || channel.offset === undefined || channel.syncing) return;
    this.dropStale(channel, channel.offset);
    for (let next = channel.waiting.get(channel.offset + 1); next; next = channel.waiting.get(channel.offset + 1)) {
      // Provisional with a life's first message next in line: the server said nothing was missed before it.
      if (isProvisional(channel.epoch)) channel.epoch = next.epoch;
      channel.waiting.delete(next.offset);
      channel.offset = next.offset;
      channel.belowAnswer = undefined;
      next.deliver();
    }
  }
}

import { randomBytes } from "node:crypto";
import { Emitter } from "@socket.io/redis-emitter";
import { encode } from "notepack.io";
import type { History, Idempotency } from "./history.js";
import { channels, report } from "./instrumentation.js";
import { ALL_CHANNEL, POSITION_KEY, type Position } from "./position.js";

/**
 * Publishes broadcasts that clients can resume: to everyone, or to one room, each appended to the channel's
 * history and published in one step (see history.ts), with its position as the event's last argument.
 *
 * @socket.io/redis-emitter still encodes every message (its format is the one the Redis adapter decodes, and the
 * channel it picks is the one the adapter listens on); it publishes into a stand-in client that hands the
 * bytes over. The position is not known until Redis assigns it, so the message is encoded with a unique
 * placeholder as its last argument, and the script splices the real position in where the placeholder was.
 * Any process with the history's Redis client can publish: the broadcaster, and a worker for its clients' chat.
 */
export class ResumablePublisher {
  private captured: { pubsubChannel: string; message: Buffer } | undefined;
  private readonly emitter: Emitter;

  constructor(
    private readonly history: History,
    /** The adapter's key (REDIS_KEY). */
    key: string,
  ) {
    const standIn = {
      publish: (pubsubChannel: string, message: Uint8Array | string) => {
        this.captured = { pubsubChannel, message: Buffer.from(message) };
      },
    };
    this.emitter = new Emitter(standIn, { key });
  }

  /**
   * Publishes `event` with `args` to `room` (a Socket.IO room), or to everyone when `room` is undefined.
   * Resolves with the message's position once Redis published it; rejects when Redis did not, or when the
   * outcome is unknown (the reply was lost): see emitOnce() for a retry that cannot publish twice.
   */
  async emit(room: string | undefined, event: string, ...args: unknown[]): Promise<Position> {
    const { channel, epoch, offset } = await this.publish(undefined, room, event, args);
    return { channel, epoch, offset };
  }

  /**
   * Like emit(), once per `once.key` (within HISTORY_TTL_MS): a retry with the same key publishes nothing and
   * resolves with the first one's position, `replayed: true` (see history.ts).
   */
  emitOnce(once: Idempotency, room: string | undefined, event: string, ...args: unknown[]) {
    return this.publish(once, room, event, args);
  }

  private async publish(once: Idempotency | undefined, room: string | undefined, event: string, args: unknown[]) {
    const placeholder = { [POSITION_KEY]: randomBytes(12).toString("hex") };
    this.captured = undefined;
    // Untyped on purpose: the broadcaster relays events the typed maps do not know.
    const target = (room === undefined ? this.emitter : this.emitter.to(room)) as unknown as {
      emit(event: string, ...args: unknown[]): boolean;
    };
    target.emit(event, ...args, placeholder);
    const captured = this.captured as { pubsubChannel: string; message: Buffer } | undefined;
    if (!captured) throw new Error("the emitter published nothing");
    const marker = encode(placeholder);
    const at = captured.message.lastIndexOf(marker);
    if (at === -1) throw new Error("position placeholder not found in the encoded message");
    const channel = room ?? ALL_CHANNEL;
    const started = performance.now();
    const appended = await this.history.append(
      channel,
      captured.pubsubChannel,
      captured.message.subarray(0, at),
      captured.message.subarray(at + marker.length),
      once,
    );
    report(channels.published, () => ({
      event,
      seconds: (performance.now() - started) / 1000,
      replayed: appended.replayed,
    }));
    return { channel, ...appended };
  }
}

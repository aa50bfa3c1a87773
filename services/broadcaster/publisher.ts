import type { Logger } from "../shared/logger.js";
import type { RedisClient } from "../shared/redis.js";

/**
 * What @socket.io/redis-emitter needs of a Redis client (it only calls `publish`), with a way to wait for
 * the PUBLISH commands one emit issued.
 *
 * Why: the emitter fires `publish()` and drops the promise, so a failure would be an unhandled rejection
 * (which ends the process) and an API could not tell whether Redis took the message. `capture()` lets the
 * API answer 202 only after Redis accepted it, and 503 when it did not.
 */
export class Publisher {
  private captured: Array<Promise<number>> | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly log: Logger,
  ) {}

  get ready(): boolean {
    return this.client.isReady;
  }

  publish(channel: string, message: string | Buffer): Promise<number> {
    const sent = this.client.publish(channel, message);
    if (this.captured) this.captured.push(sent);
    else sent.catch((err: unknown) => this.log.warn("publish failed", { channel, err }));
    return sent;
  }

  /** Runs `emit` (synchronous, as the emitter is) and resolves once Redis accepted every PUBLISH it made. */
  async capture(emit: () => void): Promise<void> {
    const captured: Array<Promise<number>> = [];
    this.captured = captured;
    try {
      emit();
    } finally {
      this.captured = undefined;
    }
    await Promise.all(captured);
  }
}

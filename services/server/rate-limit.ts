import type { Logger } from "../shared/logger.js";
import type { AppSocket } from "./handlers.js";

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 20, burst: 40 };

export interface RateLimitOptions {
  /** Sustained events per second per socket. @default 20 */
  perSecond: number;
  /** Events a socket may send at once before the sustained rate applies; also how many refusals in a row
   * count as persistent abuse, which disconnects it. @default 40 */
  burst: number;
}

/**
 * Per-socket token bucket, as Socket.IO middleware. An event over the limit is dropped, and its ack (if any)
 * gets `{ ok: false, error }` so a well-behaved client knows to slow down; a socket that keeps sending after
 * `burst` refusals in a row is disconnected.
 * @see https://socket.io/docs/v4/middlewares/#socket-middleware (socket.use)
 */
export function rateLimit(socket: AppSocket, { perSecond, burst }: RateLimitOptions, log: Logger): void {
  let tokens = burst;
  let last = Date.now();
  let refusals = 0;

  socket.use((packet, next) => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * perSecond);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      refusals = 0;
      return next();
    }
    refusals++;
    const ack = packet[packet.length - 1];
    if (typeof ack === "function")
      (ack as (r: unknown) => void)({ ok: false, error: "rate limit exceeded, slow down" });
    if (refusals >= burst) {
      log.warn("disconnecting a socket that keeps flooding", { sid: socket.id, event: packet[0], perSecond });
      socket.disconnect(true);
      return;
    }
    log.debug("ignore event over the rate limit", { sid: socket.id, event: packet[0] });
  });
}

import type { Tick } from "../shared/events.js";
import type { Logger } from "../shared/logger.js";
import type { ResumablePublisher } from "../shared/resumable-publisher.js";

/**
 * Emits `tick` `{ seq, at }` to every client every `intervalMs`. While Redis is down ticks are skipped, not
 * queued: a burst of stale ticks after an outage would be worse than a gap (`seq` shows the gap).
 * @returns stop
 */
export function startTicker(
  publisher: ResumablePublisher,
  redisReady: () => boolean,
  intervalMs: number,
  log: Logger,
): () => void {
  if (intervalMs === 0) {
    log.info("ticker off (TICK_INTERVAL_MS=0)");
    return () => undefined;
  }
  let seq = 0;
  let skipping = false;
  const timer = setInterval(() => {
    seq++;
    if (!redisReady()) {
      if (!skipping) log.warn("redis unavailable, skipping ticks", { seq });
      skipping = true;
      return;
    }
    if (skipping) log.info("redis back, ticking again", { seq });
    skipping = false;
    const tick: Tick = { seq, at: Date.now() };
    publisher.emit(undefined, "tick", tick).catch((err: unknown) => log.warn("tick not published", { seq, err }));
  }, intervalMs);
  return () => clearInterval(timer);
}

import { collectDefaultMetrics, Registry } from "prom-client";
import { channels } from "../shared/instrumentation.js";
import { boundedLabel, createMetrics } from "../shared/metrics.js";
import type { ResumablePublisher } from "../shared/resumable-publisher.js";

/** Event names are the publishers' to choose: the first 50 seen are labels, later ones `other`. */
const MAX_EVENT_NAMES = 50;

/**
 * The broadcaster's metrics (docs/metrics.md): its requests by status, what it published and how long Redis
 * took, and whether Redis is connected. `measure` wraps the publisher so that the API and the ticker are
 * both counted.
 */
export function broadcasterMetrics(redisReady: () => boolean) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = createMetrics(registry, "broadcaster", {
    broadcaster_redis_connected() {
      this.set(redisReady() ? 1 : 0);
    },
  });
  const unsubscribe = channels.broadcastRequest.subscribe(({ status }) =>
    m.broadcaster_requests_total.inc({ status: String(status) }),
  );
  const event = boundedLabel(MAX_EVENT_NAMES);

  return {
    registry,
    /** Counts and times every publish of `publisher` (emit and emitOnce). */
    measure(publisher: ResumablePublisher): void {
      for (const method of ["emit", "emitOnce"] as const) {
        const original = publisher[method].bind(publisher) as (...args: unknown[]) => Promise<unknown>;
        const eventAt = method === "emit" ? 1 : 2; // emit(room, event, …), emitOnce(once, room, event, …)
        (publisher as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
          const end = m.broadcaster_publish_seconds.startTimer();
          const result = await original(...args);
          end();
          // A retry under the same Idempotency-Key published nothing (history.ts).
          if ((result as { replayed?: boolean }).replayed) return result;
          m.broadcaster_published_total.inc({ event: event(String(args[eventAt])) });
          return result;
        };
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    stop: unsubscribe,
  };
}

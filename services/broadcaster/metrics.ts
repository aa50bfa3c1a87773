import { collectDefaultMetrics, Registry } from "prom-client";
import { channels } from "../shared/instrumentation.js";
import { boundedLabel, createMetrics } from "../shared/metrics.js";

/** Event names are the publishers' to choose: the first 50 seen are labels, later ones `other`. */
const MAX_EVENT_NAMES = 50;

/**
 * The broadcaster's metrics (docs/metrics.md): its requests by status, what it published and how long Redis
 * took, and whether Redis is connected, from the diagnostics channels (shared/instrumentation.ts).
 */
export function broadcasterMetrics(redisReady: () => boolean) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = createMetrics(registry, "broadcaster", {
    broadcaster_redis_connected() {
      this.set(redisReady() ? 1 : 0);
    },
  });
  const event = boundedLabel(MAX_EVENT_NAMES);
  const subscriptions = [
    channels.broadcastRequest.subscribe(({ status }) => m.broadcaster_requests_total.inc({ status: String(status) })),
    // Every publish of this process, the API's and the ticker's (resumable-publisher.ts reports them).
    channels.published.subscribe(({ event: name, seconds, replayed }) => {
      m.broadcaster_publish_seconds.observe(seconds);
      // A retry under the same Idempotency-Key published nothing (history.ts).
      if (!replayed) m.broadcaster_published_total.inc({ event: event(name) });
    }),
  ];

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    stop: () => subscriptions.forEach((unsubscribe) => unsubscribe()),
  };
}

/**
 * Every metric of the deployment, declared once: name, type, labels, meaning, and the process that exports it.
 * The processes create their metrics from here (`createMetrics`), and docs/metrics.md's table is generated
 * from here (`npm run metrics:docs`); a test scrapes each process and finds every name declared for it.
 * Label values are bounded: event names outside the event contract count as `other`.
 * @see https://prometheus.io/docs/practices/naming/
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Logger } from "./logger.js";

/** Which process exports a metric: a replica's workers, its primary, or the broadcaster. */
export type Exporter = "worker" | "primary" | "broadcaster";

interface Spec {
  type: "counter" | "gauge" | "histogram";
  exporter: Exporter;
  labels: readonly string[];
  help: string;
  buckets?: readonly number[];
}

/** Seconds, from a millisecond to ten: delivery and request latencies. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

// prettier-ignore
export const METRICS = {
  socketio_connected_sockets: {
    type: "gauge", exporter: "worker", labels: ["transport"],
    help: "Engine.IO connections open on this worker, by transport (polling, websocket).",
  },
  socketio_connections_total: {
    type: "counter", exporter: "worker", labels: [],
    help: "Socket.IO connections accepted (after the handshake and every middleware).",
  },
  socketio_disconnections_total: {
    type: "counter", exporter: "worker", labels: ["reason"],
    help: "Sockets disconnected, by Socket.IO's reason (transport close, ping timeout, server shutting down …).",
  },
  socketio_connection_errors_total: {
    type: "counter", exporter: "worker", labels: ["code"],
    help: "Engine.IO requests refused before a session (unknown_sid, bad_request, forbidden …).",
  },
  socketio_connect_refused_total: {
    type: "counter", exporter: "worker", labels: ["reason"],
    help: "Socket.IO CONNECTs a middleware refused with a connect_error (unauthorized: no or a bad token).",
  },
  socketio_events_received_total: {
    type: "counter", exporter: "worker", labels: ["event"],
    help: "Events received from clients, by name (the event contract's names; anything else is `other`).",
  },
  socketio_events_sent_total: {
    type: "counter", exporter: "worker", labels: ["event"],
    help: "Events emitted to one socket by this worker (acks and broadcasts not included), by name.",
  },
  socketio_broadcasts_delivered_total: {
    type: "counter", exporter: "worker", labels: ["event", "channel"],
    help: "Broadcasts from Redis this worker wrote to its sockets (once per message, whatever the sockets).",
  },
  socketio_broadcast_delivery_seconds: {
    type: "histogram", exporter: "worker", labels: ["channel"], buckets: LATENCY_BUCKETS,
    help: "From Redis appending a message to the history to this worker writing it to its sockets.",
  },
  socketio_cluster_request_seconds: {
    type: "histogram", exporter: "worker", labels: ["op", "outcome"], buckets: LATENCY_BUCKETS,
    help: "Cluster-wide requests (serverSideEmitWithAck): how long, and ok, timeout or error.",
  },
  socketio_rate_limited_total: {
    type: "counter", exporter: "worker", labels: ["kind"],
    help: "Rate-limit refusals: an event refused, a connection closed for events or for packets.",
  },
  socketio_syncs_total: {
    type: "counter", exporter: "worker", labels: ["outcome"],
    help: "`sync` answers per channel: recovered, not_recovered, refused (busy, too many), failed (Redis).",
  },
  socketio_sync_replayed_messages_total: {
    type: "counter", exporter: "worker", labels: [],
    help: "Messages replayed to resuming clients.",
  },
  socketio_sync_not_recovered_total: {
    type: "counter", exporter: "worker", labels: ["reason"],
    help: "Channels a client could not recover, by reason (gap longer than the history, history lost …).",
  },
  socketio_redis_connected: {
    type: "gauge", exporter: "worker", labels: ["connection"],
    help: "1 while this worker's Redis connection is ready (adapter-pub, adapter-sub), else 0.",
  },
  socketio_redis_reconnections_total: {
    type: "counter", exporter: "worker", labels: ["connection"],
    help: "Times a Redis connection of this worker started reconnecting.",
  },
  socketio_workers: {
    type: "gauge", exporter: "primary", labels: [],
    help: "Workers of this replica alive now.",
  },
  socketio_worker_restarts_total: {
    type: "counter", exporter: "primary", labels: [],
    help: "Workers that died unexpectedly and were respawned.",
  },
  socketio_handoffs_total: {
    type: "counter", exporter: "primary", labels: ["outcome"],
    help: "Connections the primary handed to workers: handed at once, held for a booting worker, refused (503: the worker died first).",
  },
  socketio_metrics_workers_missing: {
    type: "gauge", exporter: "primary", labels: [],
    help: "Workers that did not answer the last scrape within METRICS_WORKER_TIMEOUT_MS (left out of it).",
  },
  broadcaster_requests_total: {
    type: "counter", exporter: "broadcaster", labels: ["status"],
    help: "`POST /broadcast` answers, by HTTP status.",
  },
  broadcaster_published_total: {
    type: "counter", exporter: "broadcaster", labels: ["event"],
    help: "Messages published (by the API and the ticker), by event name (past 50 names: `other`).",
  },
  broadcaster_publish_seconds: {
    type: "histogram", exporter: "broadcaster", labels: [], buckets: LATENCY_BUCKETS,
    help: "Publishing one message: the Redis script that appends and publishes it.",
  },
  broadcaster_redis_connected: {
    type: "gauge", exporter: "broadcaster", labels: [],
    help: "1 while the broadcaster's Redis connection is ready, else 0.",
  },
} as const satisfies Record<string, Spec>;

export type MetricName = keyof typeof METRICS;
type Of<E extends Exporter> = { [K in MetricName]: (typeof METRICS)[K]["exporter"] extends E ? K : never }[MetricName];
type Labels<K extends MetricName> = (typeof METRICS)[K]["labels"][number];
type Instance<K extends MetricName> = (typeof METRICS)[K]["type"] extends "counter"
  ? Counter<Labels<K>>
  : (typeof METRICS)[K]["type"] extends "gauge"
    ? Gauge<Labels<K>>
    : Histogram<Labels<K>>;

/**
 * The metrics `exporter` exports, created on `registry` from their declarations; `collect` sets a gauge's
 * value when it is scraped.
 */
export function createMetrics<E extends Exporter>(
  registry: Registry,
  exporter: E,
  collect: Partial<Record<Of<E>, (this: Gauge) => void>> = {},
): { [K in Of<E>]: Instance<K> } {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(METRICS) as Array<[MetricName, Spec]>) {
    if (spec.exporter !== exporter) continue;
    const collector = (collect as Record<string, (this: Gauge) => void>)[name];
    const config = { name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    out[name] =
      spec.type === "counter"
        ? new Counter(config)
        : spec.type === "gauge"
          ? new Gauge({ ...config, ...(collector ? { collect: collector } : {}) })
          : new Histogram({ ...config, buckets: [...(spec.buckets ?? LATENCY_BUCKETS)] });
  }
  return out as { [K in Of<E>]: Instance<K> };
}

/** A label value from an open set, bounded: the first `max` values seen are kept, later ones are `other`. */
export function boundedLabel(max: number, known: Iterable<string> = []): (value: string) => string {
  const seen = new Set(known);
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return "other";
    seen.add(value);
    return value;
  };
}

/** A label value from a closed set: anything else is `other`. */
export function closedLabel(known: Iterable<string>): (value: string) => string {
  const names = new Set(known);
  return (value) => (names.has(value) ? value : "other");
}

/**
 * `GET /metrics` on a port of its own (never behind nginx's public port), answered by `render`; everything
 * else 404. Logs where once listening; a port it cannot have ends the process (exit 1), as the main port does.
 */
export function serveMetrics(
  host: string,
  port: number,
  render: () => Promise<{ contentType: string; body: string }>,
  log: Logger,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"only GET /metrics here"}');
      return;
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
      (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${err.message}\n`),
    );
  });
  return new Promise((resolve) => {
    server.once("error", (err) => {
      log.error("cannot listen (metrics)", { err, port });
      process.exit(1);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      log.info("metrics listening", { url: `http://${host}:${bound}/metrics` });
      resolve(server);
    });
  });
}

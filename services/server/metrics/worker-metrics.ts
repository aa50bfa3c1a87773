import { collectDefaultMetrics, Registry } from "prom-client";
import type { Identity } from "../../shared/events.js";
import { channels, type Signal } from "../../shared/instrumentation.js";
import { boundedLabel, closedLabel, createMetrics } from "../../shared/metrics.js";
import type { AppServer, AppSocket } from "../socket-types.js";

/** Engine.IO's error codes, as names a query can read. @see https://socket.io/docs/v4/troubleshooting-connection-issues/ */
const ENGINE_ERRORS = [
  "unknown_transport",
  "unknown_sid",
  "bad_handshake_method",
  "bad_request",
  "forbidden",
  "unsupported_protocol_version",
];

/** Socket.IO's disconnect reasons (server side); any other is `other`. @see https://socket.io/docs/v4/server-socket-instance/#disconnect */
const DISCONNECT_REASONS = [
  "server namespace disconnect",
  "client namespace disconnect",
  "server shutting down",
  "ping timeout",
  "transport close",
  "transport error",
  "parse error",
  "forced close",
  "forced server close",
];

/** Open sets (a publisher names its events): the first 50 names, then `other`. */
const MAX_EVENT_NAMES = 50;

/**
 * A worker's metrics, on a registry of its own labelled with its replica and worker: what Socket.IO does on
 * it (read from `io`), and what the rest of the worker reports on the diagnostics channels
 * (shared/instrumentation.ts). The primary collects this registry over IPC for its `/metrics`.
 */
export function workerMetrics(io: AppServer, identity: Identity): { registry: Registry; stop(): void } {
  const registry = new Registry();
  registry.setDefaultLabels({ replica: identity.replica, worker: String(identity.worker) });
  collectDefaultMetrics({ register: registry });
  // Engine.IO keeps its connections in `clients` (typed protected): counted by transport when scraped.
  const engine = io.engine as unknown as { clients: Record<string, { transport: { name: string } }> };
  const redisReady = new Map<string, number>();
  const m = createMetrics(registry, "worker", {
    socketio_connected_sockets() {
      const byTransport = new Map([
        ["polling", 0],
        ["websocket", 0],
      ]);
      for (const { transport } of Object.values(engine.clients)) {
        byTransport.set(transport.name, (byTransport.get(transport.name) ?? 0) + 1);
      }
      for (const [transport, count] of byTransport) this.set({ transport }, count);
    },
    socketio_redis_connected() {
      for (const [connection, up] of redisReady) this.set({ connection }, up);
    },
  });

  // The events this worker listens to: the contract's, learnt from the first socket once its handlers are on.
  let received: ((event: string) => string) | undefined;
  const sent = boundedLabel(MAX_EVENT_NAMES);
  const reason = closedLabel(DISCONNECT_REASONS);
  // A middleware runs before the `connection` listeners (the application's `hello` is sent from one).
  io.use((socket, next) => {
    socket.onAny((event: string) => m.socketio_events_received_total.inc({ event: received?.(event) ?? "other" }));
    countEmits(socket, (event) => m.socketio_events_sent_total.inc({ event: sent(event) }));
    next();
  });
  io.on("connection", (socket) => {
    m.socketio_connections_total.inc();
    // Registered after the application's listener: its handlers are on the socket by now.
    received ??= closedLabel(socket.eventNames().filter((name): name is string => typeof name === "string"));
    socket.on("disconnect", (why) => m.socketio_disconnections_total.inc({ reason: reason(why) }));
  });
  const onEngineError = (err: { code?: number }) =>
    m.socketio_connection_errors_total.inc({ code: ENGINE_ERRORS[err.code ?? -1] ?? "other" });
  io.engine.on("connection_error", onEngineError);

  const delivered = boundedLabel(MAX_EVENT_NAMES);
  const subscriptions: Array<() => void> = [];
  const on = <T>(signal: Signal<T>, listener: (message: T) => void) => subscriptions.push(signal.subscribe(listener));
  on(channels.delivered, ({ event, channel, lagMs }) => {
    m.socketio_broadcasts_delivered_total.inc({ event: delivered(event), channel });
    if (lagMs !== undefined) m.socketio_broadcast_delivery_seconds.observe({ channel }, Math.max(0, lagMs) / 1000);
  });
  on(channels.clusterRequest, ({ op, outcome, seconds }) =>
    m.socketio_cluster_request_seconds.observe({ op, outcome }, seconds),
  );
  on(channels.rateLimited, ({ kind }) => m.socketio_rate_limited_total.inc({ kind }));
  on(channels.connectRefused, ({ reason: why }) => m.socketio_connect_refused_total.inc({ reason: why }));
  on(channels.sync, ({ outcome, replayed, reason: why }) => {
    m.socketio_syncs_total.inc({ outcome });
    if (replayed > 0) m.socketio_sync_replayed_messages_total.inc(replayed);
    if (why) m.socketio_sync_not_recovered_total.inc({ reason: notRecoveredReason(why) });
  });
  on(channels.redisState, ({ name, state }) => {
    redisReady.set(name, state === "ready" ? 1 : 0);
    if (state === "reconnecting") m.socketio_redis_reconnections_total.inc({ connection: name });
  });

  return {
    registry,
    stop: () => {
      for (const unsubscribe of subscriptions) unsubscribe();
      io.engine.off("connection_error", onEngineError);
    },
  };
}

/** The reason a client was told (sync.ts), as a bounded label. */
function notRecoveredReason(reason: string): string {
  if (reason.startsWith("history lost")) return "history_lost";
  if (reason.startsWith("gap longer")) return "gap_too_long";
  if (reason.startsWith("position ahead")) return "position_ahead";
  return "room_refused"; // the rules of `join` refused the room (sync.ts)
}

/**
 * Calls `count` for each event emitted to this one socket (`socket.emit`), after the emit. Not
 * `onAnyOutgoing`: socket.io-adapter's `broadcast()` runs every socket's outgoing listeners too, so it counted
 * each broadcast once per socket (which `socketio_broadcasts_delivered_total` counts once per message), at the
 * cost of a labelled counter increment per socket per broadcast on the fan-out's path.
 * @see https://github.com/socketio/socket.io/blob/main/packages/socket.io-adapter/lib/in-memory-adapter.ts (broadcast)
 */
export function countEmits(socket: AppSocket, count: (event: string) => void): void {
  type Emit = (...args: unknown[]) => boolean;
  const emit = socket.emit.bind(socket) as Emit;
  (socket as unknown as { emit: Emit }).emit = (...args) => {
    const sent = emit(...args);
    count(String(args[0]));
    return sent;
  };
}

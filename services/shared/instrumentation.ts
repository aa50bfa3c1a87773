/**
 * What the processes report as it happens, on Node's diagnostics channels: the code that does the work
 * publishes a small record, and whoever cares subscribes (the metrics in `services/server/metrics/` and
 * `services/broadcaster/metrics.ts`). The code that publishes knows nothing of Prometheus; a fork that drops
 * the metrics changes nothing else. Publishing to a channel nobody subscribes to costs a property check.
 * @see https://nodejs.org/api/diagnostics_channel.html
 */
import { channel } from "node:diagnostics_channel";

/** A connection the primary handed to a worker (`handed`), held for a booting one, or refused (dead). */
export interface Handoff {
  outcome: "handed" | "held" | "refused";
}

/** A worker of this replica exited unexpectedly and is respawned after `delayMs`. */
export interface WorkerRestart {
  delayMs: number;
}

/** The rate limiter refused an event (`event`), or closed a connection over its packet allowance. */
export interface RateLimited {
  kind: "event" | "disconnect" | "packets";
}

/** A middleware refused a Socket.IO CONNECT (the client gets `connect_error`). */
export interface ConnectRefused {
  reason: "unauthorized";
}

/** A cluster-wide request (`fetchSockets`, `serverSideEmitWithAck`) and how it ended. */
export interface ClusterRequest {
  op: string;
  seconds: number;
  outcome: "ok" | "timeout" | "error";
}

/** A `sync` answered: per channel, replayed in full, or not, and why. */
export interface SyncOutcome {
  outcome: "recovered" | "not_recovered" | "refused" | "failed";
  /** Messages written to the socket by this sync. */
  replayed: number;
  /** For `not_recovered`: the reason, as the client was told it. */
  reason?: string;
}

/** A Redis connection changed state. */
export interface RedisState {
  /** Which connection: `adapter-pub`, `adapter-sub`, `broadcaster`. */
  name: string;
  state: "ready" | "reconnecting" | "error" | "end";
}

/** A message published through the history reached this worker from Redis, `lagMs` after Redis appended it. */
export interface Delivered {
  event: string;
  channel: "all" | "room";
  lagMs: number | undefined;
}

/** A message appended to the history and published (resumable-publisher.ts), or found there already. */
export interface Published {
  event: string;
  /** The Redis round trip. */
  seconds: number;
  /** Appended before under the same Idempotency-Key: nothing was published now. */
  replayed: boolean;
}

/** A `POST /broadcast` answered. */
export interface BroadcastRequest {
  status: number;
}

/** One diagnostics channel, typed: what is published on it, and how to listen. */
export interface Signal<T> {
  /** Builds and publishes the record, only when somebody listens. */
  publish(make: () => T): void;
  /** Listens; returns how to stop. */
  subscribe(listener: (message: T) => void): () => void;
}

function signal<T>(name: string): Signal<T> {
  const ch = channel(`socketio-cluster-reference:${name}`);
  return {
    publish: (make) => {
      if (ch.hasSubscribers) ch.publish(make());
    },
    subscribe: (listener) => {
      const handler = (message: unknown) => listener(message as T);
      ch.subscribe(handler);
      return () => void ch.unsubscribe(handler);
    },
  };
}

export const channels = {
  handoff: signal<Handoff>("handoff"),
  workerRestart: signal<WorkerRestart>("worker-restart"),
  rateLimited: signal<RateLimited>("rate-limited"),
  connectRefused: signal<ConnectRefused>("connect-refused"),
  clusterRequest: signal<ClusterRequest>("cluster-request"),
  sync: signal<SyncOutcome>("sync"),
  redisState: signal<RedisState>("redis-state"),
  delivered: signal<Delivered>("delivered"),
  broadcastRequest: signal<BroadcastRequest>("broadcast-request"),
  published: signal<Published>("published"),
} as const;

/** Publishes what `make` builds on `on`, when somebody listens. */
export function report<T>(on: Signal<T>, make: () => T): void {
  on.publish(make);
}

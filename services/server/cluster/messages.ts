/** IPC messages between the primary and its workers (sticky and the cluster adapter have their own). */

export type WorkerMessage =
  | { type: "worker:ready" }
  /** The answer to `primary:metrics`: the worker's registry, as prom-client's getMetricsAsJSON() gives it. */
  | { type: "worker:metrics"; id: number; metrics: unknown[] };
export type PrimaryMessage =
  | { type: "primary:drain" }
  | { type: "primary:session-bound"; sid: string }
  /** A scrape of the replica's /metrics asks each worker for its metrics. */
  | { type: "primary:metrics"; id: number };

/** Sticky's own message: a worker tells the primary which worker owns a session id. */
export interface StickyConnectionMessage {
  type: "sticky:connection";
  data: string;
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return hasType(message) && (message.type === "worker:ready" || message.type === "worker:metrics");
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return (
    hasType(message) &&
    (message.type === "primary:drain" || message.type === "primary:session-bound" || message.type === "primary:metrics")
  );
}

export function isStickyConnection(message: unknown): message is StickyConnectionMessage {
  return (
    hasType(message) && message.type === "sticky:connection" && typeof (message as { data?: unknown }).data === "string"
  );
}

function hasType(message: unknown): message is { type: unknown } {
  return typeof message === "object" && message !== null && "type" in message;
}

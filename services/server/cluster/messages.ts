/** IPC messages between the primary and its workers (sticky and the cluster adapter have their own). */

export type WorkerMessage = { type: "worker:ready" };
export type PrimaryMessage = { type: "primary:drain" } | { type: "primary:session-bound"; sid: string };

/** Sticky's own message: a worker tells the primary which worker owns a session id. */
export interface StickyConnectionMessage {
  type: "sticky:connection";
  data: string;
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return hasType(message) && message.type === "worker:ready";
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return hasType(message) && (message.type === "primary:drain" || message.type === "primary:session-bound");
}

export function isStickyConnection(message: unknown): message is StickyConnectionMessage {
  return (
    hasType(message) && message.type === "sticky:connection" && typeof (message as { data?: unknown }).data === "string"
  );
}

function hasType(message: unknown): message is { type: unknown } {
  return typeof message === "object" && message !== null && "type" in message;
}

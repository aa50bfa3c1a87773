/** IPC messages between the primary and its workers (sticky and the cluster adapter have their own). */

export type WorkerMessage = { type: "worker:ready" };
export type PrimaryMessage = { type: "primary:drain" };

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return hasType(message) && message.type === "worker:ready";
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return hasType(message) && message.type === "primary:drain";
}

function hasType(message: unknown): message is { type: unknown } {
  return typeof message === "object" && message !== null && "type" in message;
}

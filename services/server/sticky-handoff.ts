/**
 * Two fixes around `worker.send`, the call through which @socket.io/sticky hands connections to workers.
 *
 * 1. Hold messages until the worker is ready. Sticky picks from every worker in `cluster.workers`, including
 *    one that was just (re)spawned and is still loading. A cluster worker drops IPC messages that arrive
 *    before it listens on `process` (checked on Node 20 and 24), so the socket such a message carries would
 *    hang until the client times out, and a reconnection storm after a worker crash is exactly when a new
 *    worker receives the most. Messages are queued here, in order, and flushed when the worker says ready.
 *
 * 2. Stop reading a socket before handing it over. Node passes the file descriptor, then keeps the primary's
 *    copy registered for reading, with a no-op read callback, until the child acknowledges it
 *    (NODE_HANDLE_ACK); bytes the primary reads in that window are discarded. The worker has usually
 *    answered the WebSocket upgrade by then, so the lost bytes would be the client's Socket.IO CONNECT
 *    packet. Stopping reads first leaves every later byte in the kernel for the worker.
 *    @see https://github.com/nodejs/node/blob/v20.x/lib/internal/child_process.js (handleConversion["net.Socket"])
 */
import type { Worker } from "node:cluster";
import { Socket } from "node:net";

type Send = (...args: unknown[]) => boolean;

interface SocketInternals {
  _handle?: { readStop?: () => number } | null;
  _read: (size: number) => void;
}

export interface HandoffGate {
  /** The worker is listening: deliver what was held and stop holding. */
  open(): void;
  /** How many messages are waiting for the worker. */
  readonly held: number;
}

/** Wraps `worker.send` with both fixes. Call right after `cluster.fork()`, before anything can send. */
export function gateHandoff(worker: Worker): HandoffGate {
  const send = worker.send.bind(worker) as Send;
  let queue: unknown[][] | undefined = [];

  worker.send = ((...args: unknown[]) => {
    if (args[1] instanceof Socket) freeze(args[1]);
    if (!queue) return send(...args);
    queue.push(args);
    return true;
  }) as Worker["send"];

  // A worker that dies before it is ready will never take these; reset the clients so they retry now.
  worker.once("exit", () => {
    for (const args of queue ?? []) if (args[1] instanceof Socket) args[1].destroy();
    queue = undefined;
  });

  return {
    open() {
      const pending = queue ?? [];
      queue = undefined;
      for (const args of pending) send(...args);
    },
    get held() {
      return queue?.length ?? 0;
    },
  };
}

function freeze(socket: Socket): void {
  const internals = socket as unknown as SocketInternals;
  // Readable would call _read (and so readStart) again on its next tick while the handle waits in Node's
  // IPC queue behind earlier handles; a no-op keeps it stopped until Node detaches the handle.
  internals._read = () => undefined;
  internals._handle?.readStop?.();
}

/**
 * Three fixes around `worker.send`, the call through which @socket.io/sticky hands connections to workers.
 *
 * 1. Hold messages until the worker is ready. Sticky picks from every worker in `cluster.workers`, including
 *    one that was just (re)spawned and is still loading. A cluster worker drops IPC messages that arrive
 *    before it listens on `process` (Node emits `message` with nobody listening), so the socket such a message
 *    carries would hang until the client times out, and a reconnection storm after a worker crash is exactly
 *    when a new worker receives the most. Messages are queued here, in order, and flushed when the worker
 *    says ready. Test: "a booting worker" in test/services/server/cluster/sticky.test.ts (Node 20, 22, 24).
 *    @see https://github.com/nodejs/node/blob/v20.20.2/lib/internal/child_process.js (setupChannel: `emit`)
 *    @see https://github.com/socketio/socket.io-sticky/issues/12 (sticky sending to a worker that is gone)
 *
 * 2. Stop reading a socket before handing it over. Node passes the file descriptor, then keeps the primary's
 *    copy registered for reading, with a no-op read callback, until the child acknowledges it
 *    (NODE_HANDLE_ACK); bytes the primary reads in that window are discarded. The worker has usually
 *    answered the WebSocket upgrade by then, so the lost bytes would be the client's Socket.IO CONNECT
 *    packet. Stopping reads first leaves every later byte in the kernel for the worker.
 *    @see https://github.com/nodejs/node/blob/v20.20.2/lib/internal/child_process.js (handleConversion["net.Socket"])
 *
 * 3. Release the sockets a dead worker never took. Node passes one handle at a time, keeps its own copy
 *    until the child acknowledges it, and queues the others; when the worker dies in between, neither the
 *    unacknowledged handle nor the queued sockets are ever closed, so their clients (a long-polling GET
 *    that arrived just then) hang until nginx's proxy_read_timeout. Queued sockets get a 503 and the
 *    unacknowledged handle is closed; either way the client reconnects at once. Test: "a worker dying in the
 *    middle of hand-offs" in test/services/server/cluster/sticky.test.ts.
 *    @see https://github.com/nodejs/node/blob/v20.20.2/lib/internal/child_process.js (closePendingHandle)
 *
 * All three rest on @socket.io/sticky 2.0.1's protocol (`worker.send(message, socket)`), pinned exactly in
 * package.json: a new sticky version must pass test/services/server/cluster/sticky.test.ts before it lands.
 */
import type { Worker } from "node:cluster";
import { Socket } from "node:net";
import { channels, report } from "../../shared/instrumentation.js";

type Send = (...args: unknown[]) => boolean;

const WORKER_FAILED_BODY = JSON.stringify({ ready: false, reason: "worker exited before taking the connection" });
const WORKER_FAILED_RESPONSE =
  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n" +
  `Content-Length: ${Buffer.byteLength(WORKER_FAILED_BODY)}\r\n\r\n${WORKER_FAILED_BODY}`;

interface ChildProcessInternals {
  _pendingMessage?: { handle?: { close?: () => void } } | null;
}

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
  /** Sockets handed to this worker whose send has not completed yet. */
  const inFlight = new Set<Socket>();

  worker.send = ((...args: unknown[]) => {
    const socket = args[1];
    if (socket instanceof Socket) {
      freeze(socket);
      inFlight.add(socket);
      const callback = typeof args[2] === "function" ? (args[2] as (err: Error | null) => void) : undefined;
      args[2] = (err: Error | null) => {
        inFlight.delete(socket);
        callback?.(err);
      };
    }
    if (socket instanceof Socket) report(channels.handoff, () => ({ outcome: queue ? "held" : "handed" }));
    if (!queue) return send(...args);
    queue.push(args);
    return true;
  }) as Worker["send"];

  // Sockets still held by this process (never converted for the IPC channel: they still have their handle)
  // will never reach the dead worker. Answer 503 so that clients and health checks learn it now.
  worker.once("exit", () => {
    for (const socket of inFlight) {
      if (!(socket as unknown as SocketInternals)._handle || socket.destroyed) continue;
      socket.end(WORKER_FAILED_RESPONSE);
      report(channels.handoff, () => ({ outcome: "refused" }));
    }
    inFlight.clear();
    queue = undefined;
    const pending = (worker.process as unknown as ChildProcessInternals)._pendingMessage;
    pending?.handle?.close?.();
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

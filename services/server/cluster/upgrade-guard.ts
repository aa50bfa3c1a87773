import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../../shared/logger.js";

const BAD_UPGRADE_BODY = JSON.stringify({ error: "an upgrade request must not declare a body" });
const BAD_UPGRADE_RESPONSE =
  "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n" +
  `Content-Length: ${Buffer.byteLength(BAD_UPGRADE_BODY)}\r\n\r\n${BAD_UPGRADE_BODY}`;

/**
 * Refuses (400) an HTTP upgrade whose first request declares a body (`Content-Length`, even `0`, or
 * `Transfer-Encoding`), before @socket.io/sticky sees it. Call after sticky's `setupMaster()`.
 *
 * Why: sticky decides from those two headers whether the request may continue past its first chunk; when it
 * may, the primary keeps the socket and relays every later chunk to the worker over IPC. For a WebSocket that
 * means every frame, for the life of the connection: one such client cost the primary 1.17 CPU-seconds where
 * the same traffic handed over normally cost 0.02. No browser or Socket.IO client sends either header on an
 * upgrade (a GET has no body); nginx refuses them too, this covers a replica reached directly.
 * @see https://github.com/socketio/socket.io-sticky/blob/2.0.1/index.js (mayHaveMultipleChunks)
 */
export function refuseUpgradesWithBody(httpServer: Server, log: Logger): void {
  let warned = false;
  httpServer.on("connection", (socket: Socket) => {
    // Sticky's "connection" listener ran first and left its own "data" listener as the only one. If a new
    // sticky does otherwise, serve unguarded rather than break every connection (the tests will say so).
    const [sticky, ...others] = socket.listeners("data") as Array<(chunk: Buffer) => void>;
    if (!sticky || others.length > 0) {
      if (!warned) log.error("@socket.io/sticky changed: upgrades with a body are not refused (upgrade-guard.ts)");
      warned = true;
      return;
    }
    socket.removeListener("data", sticky);
    socket.once("data", (chunk: Buffer) => {
      if (declaresBodyOnUpgrade(chunk)) {
        log.info("refused an upgrade request that declares a body", { address: socket.remoteAddress });
        socket.end(BAD_UPGRADE_RESPONSE);
        return;
      }
      socket.on("data", sticky);
      sticky.call(socket, chunk);
    });
  });
}

/** True when the request head in `chunk` asks for an upgrade and has `Content-Length` or `Transfer-Encoding`. */
export function declaresBodyOnUpgrade(chunk: Buffer): boolean {
  const end = chunk.indexOf("\r\n\r\n");
  const head = chunk
    .subarray(0, end === -1 ? chunk.length : end)
    .toString("latin1")
    .toLowerCase();
  return /\r\nupgrade:/.test(head) && /\r\n(content-length|transfer-encoding):/.test(head);
}

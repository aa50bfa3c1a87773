import type { Logger } from "../../shared/logger.js";
import { MAX_PAYLOAD_DEPTH, payloadDepthError } from "../../shared/payload.js";
import type { AppSocket } from "../socket-types.js";

/**
 * Refuses a client's event with an argument nested deeper than `maxDepth`, before any handler sees it: its ack
 * gets `{ ok: false, error }`, so nothing a handler might pass on (to Redis, to other clients) can carry it to
 * encoders that recurse (see shared/payload.ts). Size is already bounded by MAX_HTTP_BUFFER_SIZE.
 */
export function limitPayloadDepth(socket: AppSocket, log: Logger, maxDepth = MAX_PAYLOAD_DEPTH): void {
  socket.use((packet, next) => {
    const ack = packet[packet.length - 1];
    const args = typeof ack === "function" ? packet.slice(1, -1) : packet.slice(1);
    let error: string | undefined;
    for (const arg of args) error ??= payloadDepthError(arg, "payload", maxDepth);
    if (!error) return next();
    log.info("refused an event nested too deep", { sid: socket.id, event: packet[0] });
    if (typeof ack === "function") (ack as (r: unknown) => void)({ ok: false, error });
  });
}

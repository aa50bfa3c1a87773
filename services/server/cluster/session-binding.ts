/**
 * Makes sure the primary knows which worker owns a new Engine.IO session before the client learns its id.
 *
 * Why: @socket.io/sticky's worker reports a new session (`sticky:connection`) on Engine.IO's `connection`
 * event, after the handshake response has already been written. The client's next request (the Socket.IO
 * CONNECT packet, a POST) can reach a busy primary before that IPC message does; sticky then picks a worker
 * by round-robin, which answers `400 Session ID unknown`, and the client has to start over. Seen here with
 * 16 polling clients connecting at once. So the worker announces the id as soon as it is generated and waits
 * (at most 1 s) for the primary to confirm it has bound it, then lets the handshake answer. Test: "the
 * session-binding race" in test/services/server/cluster/sticky.test.ts, with the announcement delayed 300 ms.
 * @see https://github.com/socketio/socket.io-sticky/issues/2 (the same 400s, reported under load)
 * @see https://github.com/socketio/socket.io-sticky/blob/2.0.1/index.js (setupWorker)
 */
import type { Logger } from "../../shared/logger.js";
import type { AppServer } from "../socket-types.js";
import { isPrimaryMessage, isStickyConnection, type StickyConnectionMessage } from "./messages.js";

/** How long a handshake waits for the primary's confirmation before answering anyway. */
const CONFIRMATION_TIMEOUT_MS = 1_000;

/** Worker side. Call after `setupWorker(io)`. */
export function bindSessionsBeforeHandshake(io: AppServer, log: Logger): void {
  const send = process.send?.bind(process);
  if (!send) return log.debug("ignore session binding outside a cluster worker");

  const confirmations = new Map<string, () => void>();
  process.on("message", (message: unknown) => {
    if (isPrimaryMessage(message) && message.type === "primary:session-bound") confirmations.get(message.sid)?.();
  });

  const announced = new Set<string>();
  const generateId = io.engine.generateId.bind(io.engine);
  io.engine.generateId = async (req) => {
    const sid = await generateId(req);
    announced.add(sid);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        confirmations.delete(sid);
        resolve();
      };
      const timer = setTimeout(() => {
        log.warn("primary did not confirm a session in time; answering the handshake anyway", { sid });
        done();
      }, CONFIRMATION_TIMEOUT_MS);
      confirmations.set(sid, done);
      send({ type: "sticky:connection", data: sid } satisfies StickyConnectionMessage);
    });
    return sid;
  };

  // Sticky announces the same session again on `connection`; drop that copy, or its least-connection
  // method would count the session twice.
  process.send = ((message: unknown, ...rest: unknown[]) => {
    if (isStickyConnection(message) && announced.delete(message.data)) return true;
    return (send as (...args: unknown[]) => boolean)(message, ...rest);
  }) as typeof process.send;
}

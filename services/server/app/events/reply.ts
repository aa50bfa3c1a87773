import type { Result } from "../../../shared/events.js";
import type { Logger } from "../../../shared/logger.js";
import type { AppSocket } from "../../socket-types.js";

export const OK: Result = { ok: true };
export const fail = (error: string): Result => ({ ok: false, error });

/**
 * Runs `handle` and sends its result to the ack; an event without an ack is logged and dropped. A handler that
 * throws (or rejects: Redis refused a publish, say) answers an error and logs it: an exception thrown in a
 * Socket.IO event listener is uncaught and would end the worker, with every client on it.
 */
export function reply<R extends { ok: boolean }>(
  socket: AppSocket,
  log: Logger,
  event: string,
  ack: unknown,
  handle: () => R | Promise<R>,
): void {
  if (typeof ack !== "function") {
    return log.debug(`ignore ${event} without ack`, { sid: socket.id });
  }
  const answer = ack as (result: R | Result) => void;
  const failed = (err: unknown) => {
    log.error(`${event} handler failed`, { err, sid: socket.id });
    answer(fail("internal error, try again"));
  };
  try {
    const result = handle();
    if (result instanceof Promise) result.then(answer, failed);
    else answer(result);
  } catch (err) {
    failed(err);
  }
}

import type { Logger } from "./logger.js";

/**
 * Runs `shutdown` on the first SIGTERM or SIGINT; a second signal exits at once with code 130, for the
 * operator who pressed Ctrl+C twice because they do not want to wait.
 */
export function onShutdownSignal(log: Logger, shutdown: (signal: NodeJS.Signals) => Promise<void> | void): void {
  let received: NodeJS.Signals | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn("second signal, exiting now", { signal, first: received });
      process.exit(130);
    }
    received = signal;
    log.info("shutting down", { signal });
    Promise.resolve(shutdown(signal)).catch((err: unknown) => {
      log.error("shutdown failed", { err });
      process.exit(1);
    });
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
}

/** Settles like `promise`, or rejects with `message` when it has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

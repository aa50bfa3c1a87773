/** Event-driven waiting for tests: every wait has a timeout that fails loudly, none is a sleep. */
export const DEFAULT_TIMEOUT_MS = 10_000;

interface Listenable {
  once(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

/** Resolves with the first argument of the next `event`, or rejects after `timeoutMs` naming what hung. */
export function waitFor<T = unknown>(
  /** An EventEmitter, a socket.io-client Socket or Manager: anything with once/off. */
  emitter: object,
  event: string,
  { timeoutMs = DEFAULT_TIMEOUT_MS, what = event }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const target = emitter as Listenable;
    const listener = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      target.off(event, listener as (...args: never[]) => void);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    target.once(event, listener as (...args: never[]) => void);
  });
}

/** Rejects with `what` if `promise` has not settled within `timeoutMs`. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs `fn` for 0..n-1 concurrently. */
export function times<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}

/**
 * A promise that resolves when `count()` reaches `target`; call `check()` after every event that may
 * change the count. For "all N clients received it" without polling.
 */
export function countdown(target: number, what: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
  let resolve!: () => void;
  let current = 0;
  const done = within(new Promise<void>((r) => (resolve = r)), timeoutMs, what).catch((err: Error) => {
    throw new Error(`${err.message} (${current}/${target})`);
  });
  if (target === 0) resolve();
  return {
    done,
    add(n = 1) {
      current += n;
      if (current >= target) resolve();
    },
    get count() {
      return current;
    },
  };
}

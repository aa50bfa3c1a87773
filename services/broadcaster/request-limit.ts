import { TokenBucket } from "../shared/token-bucket.js";

/** How long an address must have been silent before its state may be forgotten. */
const IDLE_MS = 60_000;
/** Addresses tracked before idle ones are forgotten. @default 10000 */
const MAX_TRACKED = 10_000;

interface AddressState {
  bucket: TokenBucket;
  lastSeen: number;
  /** Requests with a missing or wrong token since the last log line about them. */
  badTokens: number;
  /** When the last log line about them was due; `undefined` before the first. */
  badTokenLoggedAt: number | undefined;
}

/**
 * Per client address: a request rate limit (token bucket), and how often a wrong token is worth a log line.
 * Memory is bounded: past {@link MAX_TRACKED} addresses, those idle for a minute are forgotten.
 */
export class RequestLimiter {
  private readonly addresses = new Map<string, AddressState>();

  constructor(
    /** Sustained requests per second per address. */
    private readonly perSecond: number,
    /** Requests an address may send at once. */
    private readonly burst: number,
    /** At most one log line per address about wrong tokens within this period. @default 10000 ms */
    private readonly logEveryMs = 10_000,
  ) {}

  /** Takes a request from `address`'s allowance; false when it is over its limit. */
  allow(address: string): boolean {
    return this.state(address).bucket.take();
  }

  /**
   * Counts a request with a missing or wrong token; returns how many to report when a log line is due (the
   * first one, then at most one per `logEveryMs` with the count since the last), else `undefined`.
   */
  badToken(address: string): number | undefined {
    const state = this.state(address);
    state.badTokens++;
    const logged = state.badTokenLoggedAt !== undefined;
    if (logged && state.lastSeen - state.badTokenLoggedAt! < this.logEveryMs) return undefined;
    const count = state.badTokens;
    state.badTokens = 0;
    state.badTokenLoggedAt = state.lastSeen;
    return count;
  }

  private state(address: string): AddressState {
    const now = Date.now();
    let state = this.addresses.get(address);
    if (!state) {
      if (this.addresses.size >= MAX_TRACKED) this.forgetIdle(now);
      state = {
        bucket: new TokenBucket(this.perSecond, this.burst),
        lastSeen: now,
        badTokens: 0,
        badTokenLoggedAt: undefined,
      };
      this.addresses.set(address, state);
    }
    state.lastSeen = now;
    return state;
  }

  private forgetIdle(now: number): void {
    for (const [address, state] of this.addresses) {
      if (now - state.lastSeen > IDLE_MS) this.addresses.delete(address);
    }
  }
}

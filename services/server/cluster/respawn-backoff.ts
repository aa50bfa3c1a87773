/**
 * Delay before respawning a worker: none for an occasional crash, growing exponentially while workers keep
 * dying, so a worker that crashes at start (or soon after) cannot spin the CPU.
 *
 * The count of crashes is forgotten only when a worker had been ready for `stableAfterMs` before it died.
 * Why not as soon as it says ready: a worker says ready once it can take connections, before Redis has
 * accepted it; with a wrong Redis password every worker got ready and then died, and 23 respawns in 16 s all
 * had `delayMs: 0`.
 */
export class RespawnBackoff {
  /** Workers that died in a row, none of them stable. */
  failures = 0;

  constructor(
    /** @default 100 ms */
    private readonly baseMs = 100,
    /** @default 30000 ms */
    private readonly maxMs = 30_000,
    /** How long a worker must have been ready for its death to count as an occasional one. @default 10000 ms */
    readonly stableAfterMs = 10_000,
  ) {}

  /**
   * Records a death and returns how long to wait before the next fork.
   * @param readyForMs how long the dead worker had been ready; `undefined` when it never got ready
   */
  next(readyForMs?: number): number {
    if (readyForMs !== undefined && readyForMs >= this.stableAfterMs) this.failures = 0;
    this.failures++;
    if (this.failures === 1) return 0;
    return Math.min(this.baseMs * 2 ** (this.failures - 2), this.maxMs);
  }
}

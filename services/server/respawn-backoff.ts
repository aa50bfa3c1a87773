/**
 * Delay before respawning a worker: none for an occasional crash, growing exponentially while workers keep
 * dying before they get ready, so a worker that crashes at start cannot spin the CPU.
 */
export class RespawnBackoff {
  /** Workers that died since the last one got ready. */
  failures = 0;

  constructor(
    /** @default 100 ms */
    private readonly baseMs = 100,
    /** @default 30000 ms */
    private readonly maxMs = 30_000,
  ) {}

  /** Records a death and returns how long to wait before the next fork. */
  next(): number {
    this.failures++;
    if (this.failures === 1) return 0;
    return Math.min(this.baseMs * 2 ** (this.failures - 2), this.maxMs);
  }

  /** A worker got ready: the next death is treated as an occasional one again. */
  succeeded(): void {
    this.failures = 0;
  }
}

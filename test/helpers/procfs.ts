/** Process-tree checks through /proc (Linux), to prove that a stop left nothing running. */
import { readFileSync } from "node:fs";
import { tree } from "../../scripts/processes.js";

/** `roots` and every process descending from them, as running now. */
export function processTree(roots: readonly number[]): number[] {
  return tree(roots.filter(isAlive));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; it has exited, its parent just has not reaped it yet.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

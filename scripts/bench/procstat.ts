/** CPU time and memory of processes, from /proc (Linux). */
import { readFileSync } from "node:fs";
export { tree } from "../processes.js";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcSample {
  cpuMicros: number;
  rssBytes: number;
}

export function sample(pid: number): ProcSample {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    const rssPages = Number(fields[21]);
    return { cpuMicros: (ticks / TICKS_PER_SECOND) * 1e6, rssBytes: rssPages * 4096 };
  } catch {
    return { cpuMicros: 0, rssBytes: 0 };
  }
}

export function total(pids: readonly number[]): ProcSample {
  return pids
    .map(sample)
    .reduce((a, b) => ({ cpuMicros: a.cpuMicros + b.cpuMicros, rssBytes: a.rssBytes + b.rssBytes }), {
      cpuMicros: 0,
      rssBytes: 0,
    });
}

/** Share of the machine's CPU (0-1, all cores) busy during `ms`, from /proc/stat. */
export async function machineBusy(ms: number): Promise<number> {
  const read = () => {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + fields[4]!;
    return { idle, all: fields.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  return b.all === a.all ? 0 : 1 - (b.idle - a.idle) / (b.all - a.all);
}

/** CPU time used by the whole machine so far (all cores, all processes), in microseconds. */
export function machineCpuMicros(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busy = fields.reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!;
  return (busy / TICKS_PER_SECOND) * 1e6;
}

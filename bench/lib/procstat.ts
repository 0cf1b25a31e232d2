/**
 * CPU time of processes from /proc (Linux): a contention-independent cost figure for noisy,
 * shared machines, where wall-clock latency depends on what else runs.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU milliseconds the process has used so far (NaN if it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

export interface CpuMark {
  at: number;
  load1: number;
  cpu: Record<string, number>;
}

/** Marks wall time, 1-min load average and CPU time of named processes; diff two marks. */
export function cpuMark(pids: Record<string, number | undefined>): CpuMark {
  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) if (pid) cpu[name] = cpuMs(pid);
  return { at: Date.now(), load1: os.loadavg()[0]!, cpu };
}

export function cpuDiff(a: CpuMark, b: CpuMark): { wallMs: number; load1: number; cpuMs: Record<string, number> } {
  const cpu: Record<string, number> = {};
  for (const k of Object.keys(b.cpu)) cpu[k] = b.cpu[k]! - (a.cpu[k] ?? 0);
  return { wallMs: b.at - a.at, load1: b.load1, cpuMs: cpu };
}

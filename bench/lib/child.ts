/**
 * Runs a TypeScript entry as a child Node process (through tsx), with its output appended to
 * a log file, and waits for a ready line. Stopping sends SIGTERM, then SIGKILL after a grace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface BenchChild {
  pid: number;
  /** The process itself: its IPC channel (`send`, 'message') for children that take commands. */
  proc: ChildProcess;
  /** The JSON after the ready marker, if any. */
  ready: Record<string, unknown>;
  /** Epoch ms when the process was spawned, and when its ready line was read here. */
  spawnedAt: number;
  readyAt: number;
  stop(): Promise<void>;
  /** SIGKILL, as in a crash (no clean-up in the child); resolves when it has exited. */
  kill(): Promise<number | null>;
  /** Resolves when the process exits. */
  exited: Promise<number | null>;
}

export async function startChild(opts: {
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  readyMarker: string;
  logFile: string;
  timeoutMs?: number;
  cwd?: string;
}): Promise<BenchChild> {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const spawnedAt = Date.now();
  let readyAt = 0;
  // BENCH_NODE_ARGS: extra Node flags for the children, e.g. "--cpu-prof --cpu-prof-dir=bench/results/prof" to profile the server
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', opts.entry, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.pipe(log, { end: false });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${opts.entry} not ready after ${opts.timeoutMs ?? 60_000} ms (see ${opts.logFile})`)), opts.timeoutMs ?? 60_000);
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      log.write(line + '\n');
      const i = line.indexOf(opts.readyMarker);
      if (i >= 0) {
        readyAt = Date.now();
        clearTimeout(t);
        const rest = line.slice(i + opts.readyMarker.length).trim();
        resolve(rest ? (JSON.parse(rest) as Record<string, unknown>) : {});
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`${opts.entry} exited with ${code} before it was ready (see ${opts.logFile})`));
    });
  });
  return {
    pid: child.pid!,
    proc: child,
    ready,
    spawnedAt,
    readyAt,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(t);
      log.end();
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

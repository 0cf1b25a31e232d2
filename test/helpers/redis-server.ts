/** A throwaway redis-server of a test's own (no persistence), for the suite and for outage tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { findRedisServer, REDIS_INSTALL_HINT } from '../../server/redis/embedded.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(port, '127.0.0.1');
    s.setTimeout(300, () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => (s.destroy(), resolve(d.toString().startsWith('+PONG'))));
  });
}

export interface TestRedisServer {
  port: number;
  url: string;
  child: ChildProcess;
  /** Stops it (SIGKILL: an outage, not a shutdown) and waits for the process to exit. */
  kill(): Promise<void>;
}

/** Starts redis-server on `port` (a free one by default) and resolves once it answers PING. */
export async function startRedisServer(port?: number, extraArgs: string[] = []): Promise<TestRedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error(REDIS_INSTALL_HINT);
  const p = port ?? (await freePort());
  const child = spawn(bin, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await answers(p)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await answers(p))) {
    child.kill('SIGKILL');
    throw new Error(`a test redis-server did not start on port ${p}`);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port: p, url: `redis://127.0.0.1:${p}`, child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

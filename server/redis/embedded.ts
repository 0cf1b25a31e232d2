/**
 * The embedded Redis used when REDIS_URL is unset: a `redis-server` child listening only on
 * a Unix socket under the data directory, with AOF on, so a crash of Vigil loses nothing.
 * If a previous run's server is still answering on that socket (Vigil was SIGKILLed and its
 * child survived), it is reused rather than started twice.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedRedis {
  url: string;
  socketPath: string;
  /** Stops the child if this process started it. */
  stop(): Promise<void>;
}

export function findRedisServer(): string | null {
  for (const candidate of ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    const r = spawnSync(candidate, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  return null;
}

export const REDIS_INSTALL_HINT =
  'redis-server was not found: install it with `apt-get install -y redis-server` (as root), or set REDIS_URL to an existing Redis.';

function ping(socketPath: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(false);
    const sock = net.createConnection(socketPath);
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d) => done(d.toString().startsWith('+PONG')));
    sock.on('connect', () => sock.write('PING\r\n'));
  });
}

/**
 * The data directory is readable by Vigil's user only: the AOF holds the realms' private
 * signing keys, refresh-token secrets and password hashes. Directories 0700, files 0600 —
 * including those an earlier version left world-readable.
 */
function restrict(dir: string): void {
  chmodSync(dir, 0o700);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) restrict(p);
    else if (e.isFile()) chmodSync(p, 0o600);
  }
}

export async function startEmbeddedRedis(dataDir: string, log: (msg: string) => void): Promise<EmbeddedRedis> {
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  restrict(dir);
  const socketPath = path.join(dir, 'redis.sock');
  const url = `redis+socket://${socketPath}`;
  if (await ping(socketPath)) {
    log(`reusing the embedded Redis still running on ${socketPath}`);
    return { url, socketPath, stop: async () => {} };
  }
  const bin = findRedisServer();
  if (!bin) throw new Error(REDIS_INSTALL_HINT);
  // what redis-server creates (the AOF directory and files) is private to this user: the child
  // inherits the umask in force when it is spawned
  const umask = process.umask(0o077);
  let child: ChildProcess;
  try {
    child = spawn(
      bin,
      ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700', '--dir', dir,
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
        // session hashes hold a user agent longer than the default 64-byte listpack limit
        '--hash-max-listpack-value', '512', '--pidfile', path.join(dir, 'redis.pid'),
        '--logfile', path.join(dir, 'redis.log')],
      // its own process group: a terminal's Ctrl-C reaches Vigil, which stops Redis last
      { stdio: 'ignore', detached: true },
    );
  } finally {
    process.umask(umask);
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let i = 0; i < 100; i++) {
    if (await ping(socketPath)) break;
    if (exited) throw new Error(`the embedded redis-server exited at start; see ${path.join(dir, 'redis.log')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await ping(socketPath))) throw new Error(`the embedded redis-server did not answer on ${socketPath} within 5 s`);
  log(`embedded Redis started (AOF on) on ${socketPath}`);
  return {
    url,
    socketPath,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 5000).unref();
      }),
  };
}

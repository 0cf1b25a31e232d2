/** Opens ioredis clients for a redis:// URL or the embedded server's Unix socket. */
import { Redis, type RedisOptions } from 'ioredis';
import { defineCommands, type ScriptedRedis } from './scripts.js';

export function redisOptions(url: string): { url?: string; options: RedisOptions } {
  if (url.startsWith('redis+socket://')) {
    return { options: { path: url.slice('redis+socket://'.length) } };
  }
  return { url, options: {} };
}

function open(url: string, extra: RedisOptions): Redis {
  const { url: u, options } = redisOptions(url);
  return u ? new Redis(u, { ...options, ...extra }) : new Redis({ ...options, ...extra });
}

export function connectRedis(url: string, extra: RedisOptions = {}): ScriptedRedis {
  return defineCommands(open(url, extra));
}

/** The URL as it may be printed: a password in it is replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Connects once, without retrying, and pings: at start, a Redis that does not answer (a wrong
 * REDIS_URL, a server that is down, a missing password) is one clear sentence rather than
 * ioredis retrying and then failing deep inside the app's first command.
 */
export async function probeRedis(url: string, timeoutMs = 5000): Promise<void> {
  const client = open(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // with retries off, connect() rejects with a bare "Connection is closed."; the cause (e.g.
  // ECONNREFUSED, ENOTFOUND) is in the error event
  let cause: Error | null = null;
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

/**
 * Logs a long-lived client's connection trouble once per outage (ioredis emits an error on
 * every reconnect attempt, and prints "Unhandled error event" when nobody listens), and its
 * return. Commands meanwhile fail or wait per the client's options; /readyz says so.
 */
export function watchRedis(client: Redis, name: string, log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ redis: name, err: err.message }, 'redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: name }, 'redis connection restored');
  });
}

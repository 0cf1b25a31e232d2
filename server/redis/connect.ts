/** Opens ioredis clients for a redis:// URL or the embedded server's Unix socket. */
import { Redis, type RedisOptions } from 'ioredis';
import { defineCommands, type ScriptedRedis } from './scripts.js';

export function redisOptions(url: string): { url?: string; options: RedisOptions } {
  if (url.startsWith('redis+socket://')) {
    return { options: { path: url.slice('redis+socket://'.length) } };
  }
  return { url, options: {} };
}

export function connectRedis(url: string, extra: RedisOptions = {}): ScriptedRedis {
  const { url: u, options } = redisOptions(url);
  const client = u ? new Redis(u, { ...options, ...extra }) : new Redis({ ...options, ...extra });
  return defineCommands(client);
}

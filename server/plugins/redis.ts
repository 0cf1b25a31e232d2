/**
 * `vigil-redis`: the request path's client (`redis`, with the Lua commands), the key builder,
 * and `openRedis` — the one way the other services get a connection of their own for a purpose
 * (server/redis/connect.ts). Every connection opened here is watched (logged once per outage),
 * request-path ones are timed for the metrics, and all are closed when the app closes, after
 * the services that use them (onClose hooks run last-registered first).
 */
import fp from 'fastify-plugin';
import type { Redis, RedisOptions } from 'ioredis';
import { Keys } from '../redis/keys.js';
import { connectRedis, redisTarget, timeCommands, untilReady, watchRedis, type RedisPurpose } from '../redis/connect.js';
import type { ScriptedRedis } from '../redis/scripts.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: ScriptedRedis;
    keys: Keys;
    /** A connection of its own for `purpose`, named `name` in the log; closed with the app. */
    openRedis(purpose: RedisPurpose, name: string, extra?: RedisOptions): ScriptedRedis;
  }
}

/** `redisUrl`: REDIS_URL (one URL, or for cluster and sentinel a comma-separated list), or the embedded server's. */
export const redisPlugin = fp<{ redisUrl: string }>(async (app, { redisUrl }) => {
  const target = redisTarget(redisUrl, app.config.redisMode, app.config.redisSentinelMaster ?? undefined);
  const opened = new Set<Redis>();
  const observe = (command: string, seconds: number) => app.metrics.redisDuration.observe({ command }, seconds);
  const openRedis = (purpose: RedisPurpose, name: string, extra: RedisOptions = {}): ScriptedRedis => {
    const client = connectRedis(target, purpose, extra, app.config.eventRetention);
    watchRedis(client, name, app.log);
    if (purpose === 'commands') timeCommands(client, observe);
    opened.add(client);
    client.once('end', () => opened.delete(client));
    return client;
  };
  // per purpose (server/redis/connect.ts): what a request waits on fails within 2 s while Redis
  // is down or stalled; the timer worker and the event readers wait it out and carry on
  const redis = openRedis('commands', 'commands', { enableAutoPipelining: true });
  app.decorate('redis', redis);
  app.decorate('keys', new Keys(app.config.redisPrefix));
  app.decorate('openRedis', openRedis);
  app.addHook('onClose', async () => {
    for (const client of opened) client.disconnect();
  });
  await untilReady(redis); // it queues nothing before
}, { name: 'vigil-redis', dependencies: ['vigil-config', 'vigil-metrics'] });

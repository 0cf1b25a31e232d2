/**
 * Starts the Redis of the suite's own for the whole run, per project (vitest.config.ts):
 * `standalone` a redis-server on a free port, `cluster` a 3-master/3-replica Redis Cluster,
 * `sentinel` a master, a replica and three sentinels (test/helpers/topology.ts) — no
 * persistence, so the tests never depend on a Redis someone left running — and stops it at
 * the end. The test files read where it is with `inject`.
 */
import type { TestProject } from 'vitest/node';
import type { RedisMode } from '../server/config.js';
import { startRedisServer } from './helpers/redis-server.js';
import { startCluster, startSentinel } from './helpers/topology.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** REDIS_URL: one URL, or the cluster's seeds / the sentinels, comma-separated. */
    redisUrl: string;
    redisMode: RedisMode;
    /** The master's name, for sentinel. */
    redisSentinelMaster: string;
  }
}

const SUITE_REDIS_OPTIONS = ['--maxclients', '10000', '--hash-max-listpack-value', '512'];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide('redisSentinelMaster', 'mymaster');
  if (project.name === 'cluster') {
    const cluster = await startCluster({ extraConfig: ['maxclients 10000'] });
    project.provide('redisUrl', cluster.urls.join(','));
    project.provide('redisMode', 'cluster');
    return () => cluster.stop();
  }
  if (project.name === 'sentinel') {
    const sentinel = await startSentinel({ extraConfig: ['maxclients 10000'] });
    project.provide('redisUrl', sentinel.sentinelUrls.join(','));
    project.provide('redisMode', 'sentinel');
    project.provide('redisSentinelMaster', sentinel.name);
    return () => sentinel.stop();
  }
  const redis = await startRedisServer(undefined, SUITE_REDIS_OPTIONS);
  project.provide('redisUrl', redis.url);
  project.provide('redisMode', 'standalone');
  return async () => {
    redis.child.kill('SIGTERM');
  };
}

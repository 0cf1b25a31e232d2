/**
 * Starts a Redis server of the suite's own for the whole run (a free port, no persistence),
 * so the tests never depend on a Redis someone left running, and stops it at the end.
 */
import type { TestProject } from 'vitest/node';
import { startRedisServer } from './helpers/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer(undefined, ['--maxclients', '10000', '--hash-max-listpack-value', '512']);
  project.provide('redisUrl', redis.url);
  return async () => {
    redis.child.kill('SIGTERM');
  };
}

/** Deletes every key matching a glob, in SCAN batches (never KEYS, which blocks Redis). */
import type { Redis } from 'ioredis';
import { isCluster, masters } from './connect.js';

export async function deleteMatching(redis: Redis, pattern: string, keep: (key: string) => boolean = () => false): Promise<number> {
  let n = 0;
  // SCAN sees one node's keys: on a cluster, every master's; a multi-key UNLINK must stay in one
  // slot there, so each key goes alone (the cluster client pipelines them per node)
  const cluster = isCluster(redis);
  for (const node of masters(redis)) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const doomed = found.filter((k) => !keep(k));
      if (!doomed.length) continue;
      if (cluster) n += (await Promise.all(doomed.map((k) => redis.unlink(k)))).reduce((a, b) => a + b, 0);
      else n += await redis.unlink(...doomed);
    } while (cursor !== '0');
  }
  return n;
}

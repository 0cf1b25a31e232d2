/** Deletes every key matching a glob, in SCAN batches (never KEYS, which blocks Redis). */
import type { Redis } from 'ioredis';

export async function deleteMatching(redis: Redis, pattern: string, keep: (key: string) => boolean = () => false): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const doomed = found.filter((k) => !keep(k));
    if (doomed.length) n += await redis.unlink(...doomed);
  } while (cursor !== '0');
  return n;
}

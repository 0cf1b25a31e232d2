/**
 * Which errors mean "Redis is down or stalled" (503, no stack in the log) and which stay bugs
 * (500, logged with their stack): the errors ioredis actually rejects commands with.
 */
import { describe, expect, it } from 'vitest';
import { Redis, ReplyError } from 'ioredis';
import { FailureLog, isRedisUnavailable } from '../../server/redis/connect.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('isRedisUnavailable', () => {
  it('is true for what ioredis rejects a command with when Redis cannot be reached', async () => {
    // a client that never connects and queues nothing: the error a request sees during an outage
    const offline = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    expect(isRedisUnavailable(await rejection(offline.get('k')))).toBe(true);
    offline.disconnect();
    // a client that was closed for good
    const closed = new Redis({ port: 1, lazyConnect: true });
    closed.disconnect();
    await new Promise((r) => setTimeout(r, 10));
    expect(isRedisUnavailable(await rejection(closed.get('k')))).toBe(true);
  });

  it('is true for a timeout, the retry limit, socket errors and a Redis that is loading or failing over, also as a cause', () => {
    expect(isRedisUnavailable(new Error('Command timed out'))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED', syscall: 'connect' }))).toBe(true);
    expect(isRedisUnavailable(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisUnavailable(new ReplyError('READONLY You can\'t write against a read only replica.'))).toBe(true);
    expect(isRedisUnavailable(new Error('job failed', { cause: new Error('Command timed out') }))).toBe(true);
    expect(isRedisUnavailable(new Error('connect ETIMEDOUT'))).toBe(true); // ioredis's connectTimeout
    // a cluster redirect ioredis did not follow (an auto-pipeline whose writes already ran): retry
    expect(isRedisUnavailable(new ReplyError('MOVED 11146 127.0.0.1:13356'))).toBe(true);
    expect(isRedisUnavailable(new ReplyError('ASK 11146 127.0.0.1:13356'))).toBe(true);
  });

  it('is false for bugs and ordinary replies', () => {
    expect(isRedisUnavailable(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailable(new ReplyError('ERR Error running script'))).toBe(false);
    expect(isRedisUnavailable(new TypeError('Cannot read properties of undefined'))).toBe(false);
    expect(isRedisUnavailable(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false); // not a socket's
    // another server's connection trouble (an upstream identity provider's, through fetch)
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(isRedisUnavailable(new TypeError('fetch failed', { cause: refused }))).toBe(false);
    expect(isRedisUnavailable(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT', syscall: 'connect' }) }))).toBe(false);
    expect(isRedisUnavailable('Command timed out')).toBe(false);
    expect(isRedisUnavailable(null)).toBe(false);
  });
});

describe('FailureLog', () => {
  it('logs an outage failure as one warn line without a stack per interval, anything else as an error with it', () => {
    const lines: Array<{ level: string; o: Record<string, unknown>; m: string }> = [];
    const log = new FailureLog({ warn: (o, m) => lines.push({ level: 'warn', o: o as Record<string, unknown>, m }), error: (o, m) => lines.push({ level: 'error', o: o as Record<string, unknown>, m }) }, 60_000);
    for (let i = 0; i < 5; i++) log.report(new Error('Command timed out'), { url: '/me' }, 'requests failing');
    expect(lines).toEqual([{ level: 'warn', o: { url: '/me', err: 'Command timed out' }, m: 'requests failing: redis unavailable' }]);
    const bug = new TypeError('boom');
    log.report(bug, {}, 'requests failing');
    expect(lines[1]).toEqual({ level: 'error', o: { err: bug }, m: 'requests failing' });
  });
});

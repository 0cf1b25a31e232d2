/**
 * What a user sees when Redis is not there: at start, one sentence naming the URL (without its
 * password) and the way out; while running, one log line when the connection is lost and one
 * when it comes back, not an ioredis "Unhandled error event" per reconnect attempt.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { watchRedis } from '../../server/redis/connect.js';
import { freePort, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

const root = path.resolve(import.meta.dirname, '../..');
let server: TestRedisServer | null = null;
afterAll(async () => server?.kill());

function runMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: root, env: { ...process.env, VIGIL_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.once('exit', (code) => (clearTimeout(killer), resolve({ code, stdout, stderr }))));
}

describe('a Redis that does not answer', () => {
  it('stops the start with one sentence naming REDIS_URL without its password, and exit code 69', async () => {
    const port = await freePort(); // nothing listens there
    const r = await runMain({ REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${port}/0` });
    expect(r.code).toBe(69);
    expect(r.stderr).toBe(
      `vigil: Redis at redis://:***@127.0.0.1:${port}/0 does not answer (connect ECONNREFUSED 127.0.0.1:${port}): start it, correct REDIS_URL, or unset REDIS_URL to run an embedded one.\n`,
    );
    expect(r.stdout).not.toContain('Vigil is running');
  });
});

describe('a Redis outage while running', () => {
  it('is logged once when the connection is lost and once when it is back', async () => {
    server = await startRedisServer();
    const port = server.port;
    const client = new Redis(server.url, { retryStrategy: () => 50 });
    const lines: string[] = [];
    watchRedis(client, 'commands', { warn: (_o, m) => lines.push(`warn ${m}`), info: (_o, m) => lines.push(`info ${m}`) });
    await client.ping();
    await server.kill();
    await expect.poll(() => lines, { timeout: 10_000 }).toEqual(['warn redis connection lost; reconnecting']);
    await new Promise((r) => setTimeout(r, 500)); // ten or so failed reconnect attempts
    expect(lines).toHaveLength(1);
    server = await startRedisServer(port);
    await expect.poll(() => lines, { timeout: 10_000 }).toEqual(['warn redis connection lost; reconnecting', 'info redis connection restored']);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });
});

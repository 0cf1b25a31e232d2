/**
 * Builds the real Vigil app in-process for a test file: its own Redis key prefix on the
 * suite's Redis, a random port, the timer worker running, realm `default` with a known admin.
 * `close()` stops everything and deletes every key the app wrote.
 */
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { deleteMatching } from '../../server/redis/purge.js';
import { connectRedis, redisTarget, type RedisTarget } from '../../server/redis/connect.js';
import { bootstrap } from '../../server/bootstrap.js';
import { loadConfig, type Config } from '../../server/config.js';
import type { RealmPolicy } from '../../shared/policy.js';
import type { Session } from '../../shared/protocol.js';

export interface TestApp {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  /** e.g. ws://127.0.0.1:41234 */
  wsUrl: string;
  realm: string;
  redisUrl: string;
  prefix: string;
  adminUsername: string;
  adminPassword: string;
  /** REST helper: JSON in and out, with an optional bearer token. */
  /** `timeoutMs`: the request must answer within it, else it throws (a hang). */
  api(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Signs in over REST; returns the token and session. */
  login(username?: string, password?: string): Promise<{ token: string; session: Session }>;
  /** Creates a user as the admin. */
  createUser(username: string, opts?: { password?: string; roles?: string[]; tokenLifetime?: number }): Promise<{ username: string; password: string }>;
  /** The bootstrap admin's token (a session made at start). */
  adminToken: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  policy?: Partial<RealmPolicy>;
  env?: Record<string, string>;
  /** Do not start the timer worker (VIGIL_ROLE=api). */
  noWorker?: boolean;
  /** Share another app's Redis prefix (a second process of the same deployment). */
  prefix?: string;
  /** Another Redis than the suite's (e.g. a throwaway one a test stops and starts). */
  redisUrl?: string;
  /** Fastify's `logger` option (e.g. `{ level: 'info', stream }` to read what the app logs). */
  logger?: object;
}

/** Where the suite's Redis is (test/global-setup.ts): standalone, cluster or sentinel. */
export function suiteRedis(): { url: string; env: Record<string, string> } {
  const mode = inject('redisMode');
  return {
    url: inject('redisUrl'),
    env: { VIGIL_REDIS_MODE: mode, ...(mode === 'sentinel' ? { VIGIL_REDIS_SENTINEL_MASTER: inject('redisSentinelMaster') } : {}) },
  };
}

/** Deletes what a test wrote under `prefix`, on any kind of Redis (a plain URL: standalone). */
export async function deleteKeys(redis: RedisTarget | string, prefix: string): Promise<void> {
  const r = connectRedis(redis, 'bullmq');
  await deleteMatching(r, `${prefix}:*`);
  r.disconnect();
}

export function testPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const suite = suiteRedis();
  const redisUrl = opts.redisUrl ?? suite.url;
  const prefix = opts.prefix ?? testPrefix();
  const adminPassword = 'admin-password-1';
  const config: Config = loadConfig({
    VIGIL_PORT: '0', VIGIL_REDIS_PREFIX: prefix, REDIS_URL: redisUrl, VIGIL_ADMIN_PASSWORD: adminPassword,
    VIGIL_LOG_LEVEL: process.env.VIGIL_TEST_LOG ?? 'warn', VIGIL_ROLE: opts.noWorker ? 'api' : 'all', ...(opts.redisUrl ? {} : suite.env), ...opts.env,
  });
  const app = await buildApp({ config, redisUrl, ...(opts.logger ? { logger: opts.logger } : {}) });
  await bootstrap(app);
  if (opts.policy) await app.realms.patch('default', opts.policy);
  if (!opts.noWorker) {
    await app.timers.startWorker();
    await app.mail.startWorker();
    await app.outbound.startWorker();
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  const realm = 'default';

  const api: TestApp['api'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const full = path.startsWith('/') && !path.startsWith('/api/') && !path.startsWith('/realms/') && !['/healthz', '/readyz', '/metrics', '/ws'].includes(path)
      ? `${url}/api/v1/realms/${realm}${path}` : `${url}${path}`;
    const res = await fetch(full, {
      method, headers, body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
      ...(o.timeoutMs ? { signal: AbortSignal.timeout(o.timeoutMs) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  };
  const login: TestApp['login'] = async (username = 'admin', password = adminPassword) => {
    const r = await api('POST', '/login', { body: { username, password } });
    if (r.status !== 201) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const admin = await login();
  const createUser: TestApp['createUser'] = async (username, o = {}) => {
    const password = o.password ?? `${username}-password`;
    const r = await api('POST', '/users', { token: admin.token, body: { username, password, roles: o.roles ?? ['user'], ...(o.tokenLifetime ? { tokenLifetime: o.tokenLifetime } : {}) } });
    if (r.status !== 201) throw new Error(`create user ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return { username, password };
  };
  return {
    app, url, wsUrl: url.replace('http', 'ws'), realm, redisUrl, prefix, adminUsername: 'admin', adminPassword, adminToken: admin.token,
    api, login, createUser,
    async close() {
      await app.close();
      if (!opts.prefix) await deleteKeys(redisTarget(redisUrl, config.redisMode, config.redisSentinelMaster ?? undefined), prefix);
    },
  };
}

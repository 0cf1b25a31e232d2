/**
 * OIDC throughput: refresh-token grants per second and password logins per second against
 * Keycloak's published sizing (120 refresh requests/s and 15 password logins/s per vCPU), with
 * this run's own ceilings measured beside them: the HTTP floor (GET /healthz over the same
 * connections) and raw Argon2id verifications per second (what a password login must pay).
 *
 * Starts its own Redis (or uses REDIS_URL with a throwaway key prefix) and the real app
 * in-process on 127.0.0.1; the load runs in a worker thread with keep-alive connections.
 * Bounded: BENCH_SECONDS per phase (default 10). Prints a table, writes bench/results/oidc.json.
 *
 *   npx tsx bench/oidc.ts
 */
import { deleteMatching } from '../server/redis/purge.js';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const REFRESH_CONCURRENCY = Number(process.env.BENCH_REFRESH_CONCURRENCY ?? 32);
const LOGIN_CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 4);
const SESSIONS = 200;
const USERS = 20;

interface PhaseResult {
  name: string;
  ok: number;
  errors: number;
  seconds: number;
  latencies: number[];
}

function runPhase(data: Record<string, unknown>): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(here, 'oidc-load.mjs'), { workerData: data });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const { buildApp } = await import('../server/app.js');
  const { bootstrap } = await import('../server/bootstrap.js');
  const { loadConfig } = await import('../server/config.js');
  const { startRedis } = await import('./lib/redis.js');
  const { summarize, table, fmtMs } = await import('./lib/stats.js');
  const { verifyPassword, hashPassword } = await import('../server/users/passwords.js');

  const own = process.env.REDIS_URL ? null : await startRedis();
  const redisUrl = process.env.REDIS_URL ?? own!.url;
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ VIGIL_PORT: '0', VIGIL_HOST: '127.0.0.1', VIGIL_REDIS_PREFIX: prefix, REDIS_URL: redisUrl, VIGIL_ADMIN_PASSWORD: 'bench-admin-password', VIGIL_LOG_LEVEL: 'error',
    // the per-address password limit would otherwise be what we measure (every request comes from 127.0.0.1)
    VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '100000000' });
  const app = await buildApp({ config, redisUrl });
  let result: Record<string, unknown> = {};
  try {
    await bootstrap(app);
    await app.timers.startWorker();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const realm = 'default';
    // long limits: the benchmark measures grants, not expiries
    await app.realms.patch(realm, { ssoSessionIdle: 3600, ssoSessionMax: 36000 });
    await app.oidc.clients.create(realm, { clientId: 'bench', publicClient: true, directAccessGrantsEnabled: true });
    const users: Array<{ username: string; password: string }> = [];
    for (let i = 0; i < USERS; i++) {
      const u = { username: `bench${i}`, password: `bench-password-${i}` };
      await app.users.create(realm, u, 300);
      users.push(u);
    }

    console.log(`setup: ${SESSIONS} sso sessions by password grant …`);
    const refreshTokens: string[] = [];
    for (let i = 0; i < SESSIONS; i += 8) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, SESSIONS - i) }, async (_, j) => {
        const u = users[(i + j) % USERS]!;
        const res = await fetch(`http://127.0.0.1:${port}/realms/${realm}/protocol/openid-connect/token`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'password', client_id: 'bench', username: u.username, password: u.password, scope: 'openid' }),
        });
        if (res.status !== 200) throw new Error(`setup login failed: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { refresh_token: string }).refresh_token;
      }));
      refreshTokens.push(...batch);
    }

    const common = { port, realm, seconds: SECONDS, refreshTokens, users };
    console.log(`phase: HTTP floor (GET /healthz), ${SECONDS}s × ${REFRESH_CONCURRENCY} connections …`);
    const floor = await runPhase({ ...common, phase: 'healthz', concurrency: REFRESH_CONCURRENCY });
    console.log(`phase: refresh_token grants, ${SECONDS}s × ${REFRESH_CONCURRENCY} connections …`);
    const refresh = await runPhase({ ...common, phase: 'refresh', concurrency: REFRESH_CONCURRENCY });
    console.log(`phase: password grants, ${SECONDS}s × ${LOGIN_CONCURRENCY} connections …`);
    const login = await runPhase({ ...common, phase: 'login', concurrency: LOGIN_CONCURRENCY });

    // the Argon2id ceiling: verifications per second with the same parallelism, no HTTP or Redis
    console.log(`phase: raw Argon2id verify, ${Math.min(SECONDS, 5)}s × ${LOGIN_CONCURRENCY} …`);
    const stored = await hashPassword('bench-password-x');
    const argonLat: number[] = [];
    const argonUntil = performance.now() + Math.min(SECONDS, 5) * 1000;
    await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, async () => {
      while (performance.now() < argonUntil) {
        const t0 = performance.now();
        await verifyPassword(stored, 'bench-password-x');
        argonLat.push(performance.now() - t0);
      }
    }));
    const argon: PhaseResult = { name: 'argon2id', ok: argonLat.length, errors: 0, seconds: Math.min(SECONDS, 5), latencies: argonLat };

    const cpus = os.cpus().length;
    const rate = (p: PhaseResult) => p.ok / p.seconds;
    const rows = [floor, refresh, login, argon].map((p) => {
      const s = summarize(p.latencies);
      return { name: p.name, perSecond: Math.round(rate(p)), ok: p.ok, errors: p.errors, p50: s.p50, p99: s.p99, max: s.max };
    });
    const keycloakRefresh = 120 * cpus;
    const keycloakLogins = 15 * cpus;
    console.log('');
    console.log(table(['phase', 'per s', 'ok', 'errors', 'p50 ms', 'p99 ms', 'max ms'], rows.map((r) => [r.name, r.perSecond, r.ok, r.errors, fmtMs(r.p50), fmtMs(r.p99), fmtMs(r.max)])));
    console.log('');
    console.log(table(['headline', 'value'], [
      ['vCPUs', cpus],
      ['refresh/s vs Keycloak sizing (120/s/vCPU)', `${Math.round(rate(refresh))} / ${keycloakRefresh} = ${(rate(refresh) / keycloakRefresh).toFixed(1)}×`],
      ['refresh/s vs this run\'s HTTP floor', `${(rate(refresh) / rate(floor) * 100).toFixed(0)}%`],
      ['target ≥ 1,000 refresh/s', rate(refresh) >= 1000 ? 'met' : 'NOT met'],
      ['logins/s vs Keycloak sizing (15/s/vCPU)', `${Math.round(rate(login))} / ${keycloakLogins} = ${(rate(login) / keycloakLogins).toFixed(1)}×`],
      ['logins/s vs raw Argon2id verify/s', `${(rate(login) / rate(argon) * 100).toFixed(0)}%`],
    ]));
    result = {
      name: 'oidc', at: new Date().toISOString(), node: process.version, cpus, seconds: SECONDS,
      concurrency: { refresh: REFRESH_CONCURRENCY, login: LOGIN_CONCURRENCY }, sessions: SESSIONS,
      phases: rows, keycloakSizing: { refreshPerSecond: keycloakRefresh, loginsPerSecond: keycloakLogins },
      ratios: { refreshVsKeycloak: rate(refresh) / keycloakRefresh, refreshVsHttpFloor: rate(refresh) / rate(floor), loginsVsKeycloak: rate(login) / keycloakLogins, loginsVsArgon: rate(login) / rate(argon) },
      targets: { refreshPerSecond1000: rate(refresh) >= 1000 },
    };
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results', 'oidc.json'), JSON.stringify(result, null, 2) + '\n');
    console.log('\nwrote bench/results/oidc.json');
  } finally {
    await app.close();
    if (own) await own.stop();
    else {
      const { Redis } = await import('ioredis');
      const r = new Redis(redisUrl);
      await deleteMatching(r, `${prefix}:*`);
      r.disconnect();
    }
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});

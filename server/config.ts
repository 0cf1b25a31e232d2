/**
 * Configuration from the environment, validated once at start. An invalid value stops the
 * start with one sentence naming the variable (CONTRACT.md, Configuration).
 */
import path from 'node:path';

export type ProcessRole = 'all' | 'api' | 'worker';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  /** Unset: start an embedded redis-server under dataDir. */
  redisUrl: string | null;
  dataDir: string;
  adminUser: string;
  /** Unset: generate one and print it once. */
  adminPassword: string | null;
  /** Extra allowed origins; the server's own origin (the request's Host) is always allowed. */
  allowedOrigins: string[];
  role: ProcessRole;
  logLevel: LogLevel;
  /** Bytes a real-time client may have queued before it stops getting events and is resynced. */
  clientBufferBytes: number;
  /** Password-bearing OIDC requests (password grant, login form) per client address per minute. */
  passwordAttemptsPerMinute: number;
  /** OIDC authorization requests per client address (per realm) per minute. */
  authorizationRequestsPerMinute: number;
  /** Prefix of every Redis key (and of BullMQ's), so that tests and tenants never collide. */
  redisPrefix: string;
  /**
   * The URL users reach Vigil at (origin and optional path, no trailing slash): the OIDC
   * issuer, links, the default allowed origin, Secure cookies when https. Null: the listening
   * address (`http://{host}:{port}`), known once the server listens.
   */
  publicUrl: string | null;
  /** Fastify's trustProxy: only then are X-Forwarded-* believed (client address, protocol). */
  trustProxy: boolean | number | string[];
  /** Null: /metrics is open; else it needs `Authorization: Bearer <this>`. */
  metricsToken: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function fail(message: string): never {
  throw new ConfigError(message);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const portText = env.VIGIL_PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fail(`VIGIL_PORT must be a port number from 0 to 65535, not "${portText}".`);

  const host = env.VIGIL_HOST ?? '127.0.0.1';
  if (!host.trim()) fail('VIGIL_HOST must not be empty.');

  let redisUrl: string | null = env.REDIS_URL?.trim() || null;
  if (redisUrl) {
    const u = parseUrl(redisUrl);
    if (!u || !['redis:', 'rediss:'].includes(u.protocol)) fail(`REDIS_URL must be a redis:// or rediss:// URL, not "${redisUrl}".`);
  }

  const dataDir = path.resolve(env.VIGIL_DATA_DIR ?? './var');

  const adminUser = env.VIGIL_ADMIN_USER ?? 'admin';
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(adminUser)) fail('VIGIL_ADMIN_USER must be 1 to 64 letters, digits, or . _ @ -.');
  const adminPassword = env.VIGIL_ADMIN_PASSWORD ?? null;
  if (adminPassword !== null && adminPassword.length < 8) fail('VIGIL_ADMIN_PASSWORD must be at least 8 characters long.');

  const allowedOrigins: string[] = [];
  for (const raw of (env.VIGIL_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    let origin: string;
    try {
      origin = new URL(raw).origin;
    } catch {
      fail(`VIGIL_ALLOWED_ORIGINS must be a comma-separated list of origins like https://app.example.com, and "${raw}" is not one.`);
    }
    if (origin === 'null') fail(`VIGIL_ALLOWED_ORIGINS entry "${raw}" has no origin (use scheme://host[:port]).`);
    allowedOrigins.push(origin);
  }

  const role = (env.VIGIL_ROLE ?? 'all') as ProcessRole;
  if (!['all', 'api', 'worker'].includes(role)) fail(`VIGIL_ROLE must be all, api or worker, not "${env.VIGIL_ROLE}".`);

  const logLevel = (env.VIGIL_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) fail(`VIGIL_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${env.VIGIL_LOG_LEVEL}".`);

  const bufText = env.VIGIL_CLIENT_BUFFER_BYTES ?? '1048576';
  const clientBufferBytes = Number(bufText);
  if (!/^\d+$/.test(bufText) || clientBufferBytes < 1024) fail(`VIGIL_CLIENT_BUFFER_BYTES must be an integer of at least 1024, not "${bufText}".`);

  const paText = env.VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE ?? '60';
  const passwordAttemptsPerMinute = Number(paText);
  if (!/^\d+$/.test(paText) || passwordAttemptsPerMinute < 1) fail(`VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE must be a positive integer, not "${paText}".`);

  const arText = env.VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE ?? '120';
  const authorizationRequestsPerMinute = Number(arText);
  if (!/^\d+$/.test(arText) || authorizationRequestsPerMinute < 1) fail(`VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE must be a positive integer, not "${arText}".`);

  const redisPrefix = env.VIGIL_REDIS_PREFIX ?? 'vigil';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(redisPrefix)) fail('VIGIL_REDIS_PREFIX must be 1 to 40 letters, digits, _ or -.');

  let publicUrl: string | null = env.VIGIL_PUBLIC_URL?.trim() || null;
  if (publicUrl) {
    const u = parseUrl(publicUrl);
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.search || u.hash || u.username || u.password) {
      fail(`VIGIL_PUBLIC_URL must be an http:// or https:// URL without query, fragment or credentials, like https://vigil.example.com, not "${publicUrl}".`);
    }
    publicUrl = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }

  const trustProxy = parseTrustProxy(env.VIGIL_TRUST_PROXY);

  const metricsToken = env.VIGIL_METRICS_TOKEN ?? null;
  if (metricsToken !== null && (!metricsToken || /\s/.test(metricsToken))) fail('VIGIL_METRICS_TOKEN must be a non-empty token without spaces (or unset, for an open /metrics).');

  return { publicUrl, trustProxy, metricsToken, port, host, redisUrl, dataDir, adminUser, adminPassword, allowedOrigins, role, logLevel, clientBufferBytes, passwordAttemptsPerMinute, authorizationRequestsPerMinute, redisPrefix };
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

const IPV4_CIDR = /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/;
const IPV6_CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;

/** VIGIL_TRUST_PROXY: off (default), `true`, a hop count, or a comma-separated list of addresses / CIDRs. */
function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  const v = raw?.trim() ?? '';
  if (v === '' || v === 'false' || v === 'off' || v === '0') return false;
  if (v === 'true' || v === 'on') return true;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of list) {
    if (!IPV4_CIDR.test(a) && !(a.includes(':') && IPV6_CIDR.test(a)) && !['loopback', 'linklocal', 'uniquelocal'].includes(a)) {
      fail(`VIGIL_TRUST_PROXY must be true, a hop count, or a comma-separated list of proxy addresses or CIDRs (or loopback, linklocal, uniquelocal), and "${a}" is none of these.`);
    }
  }
  return list;
}

/**
 * Configuration from the environment, validated once at start against one TypeBox schema
 * (`EnvSchema`: every variable Vigil reads, its type, range, default and meaning, as in
 * CONTRACT.md's Configuration), like every REST route's input. The text of each variable is
 * converted to the schema's type (strictly: `"1.5"` is not an integer), defaults are applied,
 * the schema is checked, then the few rules a schema cannot say (URLs that must parse, rules
 * across variables) are checked and the result is mapped to `Config`. An invalid value stops
 * the start with one sentence naming the variable, its rule and the value given (never a
 * secret's value).
 */
import path from 'node:path';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { rule, UNIT } from './schemas/rules.js';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME, USERNAME_RULE } from '../shared/accounts.js';

export type ProcessRole = 'all' | 'api' | 'worker';
const ROLES = ['all', 'api', 'worker'] as const satisfies readonly ProcessRole[];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const REDIS_MODES = ['standalone', 'cluster', 'sentinel'] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

export interface Config {
  port: number;
  host: string;
  /** The first of `redisUrls`; null: start an embedded redis-server under dataDir. */
  redisUrl: string | null;
  /** REDIS_URL's list: one server (standalone), cluster seed nodes, or the sentinels; [] when unset. */
  redisUrls: string[];
  redisMode: RedisMode;
  /** The master's name the sentinels know; null unless redisMode is sentinel. */
  redisSentinelMaster: string | null;
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
  /** The SMTP server mail goes through (`smtp://user:pass@host:587`, `smtps://…`); null: mail stays in the realms' outboxes. */
  smtpUrl: string | null;
  /** The From address of every message; null: `vigil@{public host}`. */
  mailFrom: string | null;
  /** How long (days) and how many events each realm's stream keeps (the history /events reads). */
  eventRetention: EventRetention;
  /** Webhook and back-channel logout URLs may be private or loopback addresses (refused otherwise: SSRF). */
  webhookAllowPrivate: boolean;
}

/** The stream's trimming: by age (XADD … MINID) and by length (MAXLEN ~), per realm. */
export interface EventRetention {
  days: number;
  count: number;
}

/** VIGIL_EVENT_RETENTION_DAYS / _COUNT's defaults (CONTRACT.md), also for Redis clients made without a Config (bench). */
export const DEFAULT_EVENT_RETENTION: EventRetention = { days: 7, count: 1_000_000 };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Annotation: the rule in words, after "must be", where the schema's keywords do not say it plainly (a pattern). */
const RULE = 'x-rule';
/** Annotation: how much of the value an error may print: `none` (a secret), `no-userinfo` (a URL's user and password hidden). */
const SECRET = 'x-secret';
/** Annotation: a blank value (empty or spaces) counts as unset, rather than as a bad value. */
const BLANK_IS_UNSET = 'x-blank-is-unset';
/** Annotation of a boolean: 1 and 0 mean true and false too (`VIGIL_WEBHOOK_ALLOW_PRIVATE=1`). */
const FLAG = 'x-flag';
/** Annotation of an array: the character between its entries in the variable's text. */
const SEPARATOR = 'x-separator';

const enumOf = <T extends string>(values: readonly T[], options: Record<string, unknown>) => Type.Enum([...values], { type: 'string', ...options });
const positive = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description });
/** A comma-separated list in the variable, an array in the schema. */
const list = <T extends TSchema>(item: T, options: Record<string, unknown>) => Type.Array(item, { [SEPARATOR]: ',', ...options });

const REDIS_URL_RULE = 'a redis:// or rediss:// URL, or with VIGIL_REDIS_MODE cluster or sentinel a comma-separated list of them';
const ORIGINS_RULE = 'a comma-separated list of origins like https://app.example.com';
const TRUST_PROXY_RULE = 'true, a hop count, or a comma-separated list of proxy addresses or CIDRs (or loopback, linklocal, uniquelocal)';
const SMTP_URL_RULE = 'an smtp:// or smtps:// URL like smtp://user:pass@mail.example.com:587';
const MAIL_FROM_RULE = 'an e-mail address like vigil@example.com, optionally with a name: Vigil <vigil@example.com>';
const PUBLIC_URL_RULE = 'an http:// or https:// URL without query, fragment or credentials, like https://vigil.example.com';

const PROXY_ADDRESS = '^((\\d{1,3}\\.){3}\\d{1,3}(/\\d{1,2})?|[0-9a-fA-F.]*:[0-9a-fA-F:.]*(/\\d{1,3})?|loopback|linklocal|uniquelocal)$';

/**
 * Every environment variable Vigil reads. A variable with a default is always there once
 * defaults are applied (so it is not Optional); the others may be unset.
 */
export const EnvSchema = Type.Object({
  VIGIL_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Listen port (0: any free port)' }),
  VIGIL_HOST: Type.String({ pattern: '\\S', default: '127.0.0.1', [RULE]: 'a host name or address to listen on', description: 'Listen address' }),
  REDIS_URL: Type.Optional(list(Type.String({ pattern: '^rediss?://\\S+$' }), {
    [RULE]: REDIS_URL_RULE, [SECRET]: 'no-userinfo', [BLANK_IS_UNSET]: true,
    description: 'Unset: start an embedded redis-server child (AOF on) under the data dir; redis:// or rediss:// (TLS); with VIGIL_REDIS_MODE=cluster or sentinel, a comma-separated list of such URLs: cluster seed nodes, or the sentinels',
  })),
  VIGIL_REDIS_MODE: enumOf(REDIS_MODES, { default: 'standalone', description: 'standalone, cluster (Redis Cluster) or sentinel (with VIGIL_REDIS_SENTINEL_MASTER)' }),
  VIGIL_REDIS_SENTINEL_MASTER: Type.String({
    pattern: '^\\S+$', maxLength: 200, default: 'mymaster', [RULE]: 'the master\'s name the sentinels monitor, without spaces',
    description: 'With VIGIL_REDIS_MODE=sentinel: the name of the master the sentinels monitor',
  }),
  VIGIL_REDIS_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$', default: 'vigil', [RULE]: '1 to 40 letters, digits, _ or -', description: 'Prefix of every Redis key, to share one Redis between deployments' }),
  VIGIL_DATA_DIR: Type.String({ minLength: 1, default: './var', [RULE]: 'a directory path', description: 'Embedded Redis data, generated secrets' }),
  VIGIL_ADMIN_USER: Type.String({ pattern: USERNAME.source, default: 'admin', [RULE]: USERNAME_RULE, description: 'Bootstrap admin of realm default' }),
  VIGIL_ADMIN_PASSWORD: Type.Optional(Type.String({
    minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, [SECRET]: 'none',
    description: 'Password of the bootstrap admin; unset: generated and printed once',
  })),
  VIGIL_ALLOWED_ORIGINS: list(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9+.-]*://\\S+$' }), {
    default: [], [RULE]: ORIGINS_RULE, [BLANK_IS_UNSET]: true,
    description: 'Comma-separated origins for cookies and WebSocket upgrades, besides the own origin',
  }),
  VIGIL_ROLE: enumOf(ROLES, { default: 'all', description: 'all, api (HTTP + WebSocket only) or worker (timers only)' }),
  VIGIL_LOG_LEVEL: enumOf(LOG_LEVELS, { default: 'info', description: 'pino level; logs never carry a token, code, password or id_token_hint' }),
  VIGIL_PUBLIC_URL: Type.Optional(Type.String({
    pattern: '^https?://[^/?#@\\s]+(/[^?#\\s]*)?$', [RULE]: PUBLIC_URL_RULE, [BLANK_IS_UNSET]: true,
    description: 'The URL users reach Vigil at: the OIDC issuer, e-mail links, the default allowed origin, Secure cookies when https; unset: http://{host}:{port}',
  })),
  VIGIL_TRUST_PROXY: Type.Union([
    Type.Boolean(),
    Type.Integer({ minimum: 0 }),
    list(Type.String({ pattern: PROXY_ADDRESS }), { minItems: 1 }),
  ], {
    default: false, [RULE]: TRUST_PROXY_RULE, [BLANK_IS_UNSET]: true,
    description: 'As Fastify\'s trustProxy (true, a hop count, or addresses/CIDRs): only then are X-Forwarded-* headers believed; off by default',
  }),
  VIGIL_CLIENT_BUFFER_BYTES: Type.Integer({
    minimum: 1024, default: 1048576, [UNIT]: 'bytes',
    description: 'Bytes a real-time client may have queued before it stops getting events and gets a fresh snapshot when it drains',
  }),
  VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: positive(60, 'Password-bearing OpenID Connect requests per client address per minute'),
  VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE: positive(120, 'OpenID Connect authorization requests per client address per minute'),
  VIGIL_METRICS_TOKEN: Type.Optional(Type.String({
    pattern: '^\\S+$', maxLength: 1000, [SECRET]: 'none', [RULE]: 'a non-empty token without spaces (or unset, for an open /metrics)',
    description: 'When set, /metrics needs it as a bearer token',
  })),
  VIGIL_SMTP_URL: Type.Optional(Type.String({
    pattern: '^smtps?://[^\\s/?#]+(:\\d+)?/?$', [RULE]: SMTP_URL_RULE, [SECRET]: 'no-userinfo', [BLANK_IS_UNSET]: true,
    description: 'The SMTP server outgoing mail goes through (smtp://user:pass@host:587, smtps://…); unset: mail is kept in each realm\'s outbox only',
  })),
  VIGIL_MAIL_FROM: Type.Optional(Type.String({
    pattern: '^([^<>\\r\\n]*<[^\\s@<>]+@[^\\s@<>]+>|[^\\s@<>]+@[^\\s@<>]+)$', maxLength: 320, [RULE]: MAIL_FROM_RULE, [BLANK_IS_UNSET]: true,
    description: 'The From address of every message; unset: vigil@{public host}',
  })),
  VIGIL_EVENT_RETENTION_DAYS: Type.Integer({
    minimum: 1, maximum: 3650, default: DEFAULT_EVENT_RETENTION.days, [UNIT]: 'days',
    description: 'How many days each realm\'s event stream keeps events (the history GET /events reads and exports)',
  }),
  VIGIL_EVENT_RETENTION_COUNT: Type.Integer({
    minimum: 10, maximum: 100000000, default: DEFAULT_EVENT_RETENTION.count,
    description: 'At most this many events per realm\'s stream (trimmed approximately, in whole stream nodes of about 100 entries)',
  }),
  VIGIL_WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false, [FLAG]: true, [RULE]: '1 or 0 (or true, false, on, off)',
    description: 'Allow webhook and back-channel logout URLs on private or loopback addresses (refused by default: SSRF)',
  }),
});

export type Env = Static<typeof EnvSchema>;
type Schema = Record<string, unknown>;
const VARIABLES = EnvSchema.properties as unknown as Record<string, Schema>;

const BOOLEAN_WORDS = new Map([['true', true], ['on', true], ['false', false], ['off', false]]);
/** A flag (FLAG) also reads 1 and 0; not every boolean does (VIGIL_TRUST_PROXY=1 is a hop count). */
const FLAG_WORDS = new Map([['1', true], ['0', false]]);

/** The variable's text as the schema's type, strictly; text that does not convert stays text, and fails the check. */
function fromText(s: Schema, text: string): unknown {
  if (s.type === 'integer') return /^\d+$/.test(text) ? Number(text) : text;
  if (s.type === 'boolean') return BOOLEAN_WORDS.get(text.toLowerCase()) ?? (s[FLAG] ? FLAG_WORDS.get(text) : undefined) ?? text;
  if (s.type === 'array') return text.split(String(s[SEPARATOR] ?? ',')).map((t) => t.trim()).filter(Boolean);
  if (Array.isArray(s.anyOf)) {
    // the first branch the text fits; else the last branch's reading, whose error is the most precise
    const tries = (s.anyOf as Schema[]).map((b) => [b, fromText(b, text)] as const);
    return (tries.find(([b, v]) => Value.Check(b as TSchema, v)) ?? tries[tries.length - 1]!)[1];
  }
  return text;
}

/** The value as an error may print it. */
function shown(s: Schema, text: string): string | null {
  if (s[SECRET] === 'none') return null;
  if (s[SECRET] === 'no-userinfo') return text.replace(/\/\/[^/@\s]*@/g, '//***@');
  return text;
}

function problem(name: string, given: string): ConfigError {
  const s = VARIABLES[name]!;
  const value = shown(s, given);
  return new ConfigError(`${name} must be ${String(s[RULE] ?? rule(s) ?? 'valid')}${value === null ? '' : `, not "${value}"`}.`);
}

/** The environment's variables, converted, with defaults, checked against EnvSchema. */
function readEnv(env: NodeJS.ProcessEnv): Env {
  const input: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || (s[BLANK_IS_UNSET] && !raw.trim())) continue;
    input[name] = fromText(s, s[SECRET] === 'none' ? raw : raw.trim());
  }
  const value = Value.Default(EnvSchema, input);
  const errors = Value.Errors(EnvSchema, value);
  if (errors.length === 0) return value as Env;
  // the first error's variable; `/NAME/2` among its errors points at the list's entry that is wrong
  const name = errors[0]!.instancePath.split('/')[1]!;
  const entry = errors.map((e) => e.instancePath.split('/')).find((p) => p[1] === name && p[2] !== undefined)?.[2];
  throw problem(name, entry === undefined ? env[name]! : String((input[name] as unknown[])[Number(entry)]));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = readEnv(env);

  const redisUrls = e.REDIS_URL ?? [];
  for (const u of redisUrls) if (!parseUrl(u)?.hostname) throw problem('REDIS_URL', u);
  const redisMode = e.VIGIL_REDIS_MODE;
  if (redisMode === 'standalone' && redisUrls.length > 1) {
    throw new ConfigError(`REDIS_URL must be a single URL when VIGIL_REDIS_MODE is standalone (a list is for cluster seed nodes or sentinels), not ${redisUrls.length} URLs.`);
  }
  if (redisMode !== 'standalone' && redisUrls.length === 0) {
    throw new ConfigError(`REDIS_URL must be set when VIGIL_REDIS_MODE is ${redisMode}: the ${redisMode === 'cluster' ? 'seed nodes\'' : 'sentinels\''} URLs, comma-separated (the embedded Redis is standalone).`);
  }
  if (redisMode !== 'sentinel' && env.VIGIL_REDIS_SENTINEL_MASTER !== undefined) {
    throw new ConfigError(`VIGIL_REDIS_SENTINEL_MASTER is for VIGIL_REDIS_MODE sentinel only, and the mode is ${redisMode}.`);
  }

  const allowedOrigins = e.VIGIL_ALLOWED_ORIGINS.map((raw) => {
    const origin = parseUrl(raw)?.origin;
    if (!origin || origin === 'null') throw problem('VIGIL_ALLOWED_ORIGINS', raw);
    return origin;
  });

  let publicUrl: string | null = null;
  if (e.VIGIL_PUBLIC_URL !== undefined) {
    const u = parseUrl(e.VIGIL_PUBLIC_URL);
    if (!u) throw problem('VIGIL_PUBLIC_URL', e.VIGIL_PUBLIC_URL);
    publicUrl = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }

  const trustProxy = e.VIGIL_TRUST_PROXY === 0 ? false : e.VIGIL_TRUST_PROXY;

  return {
    port: e.VIGIL_PORT,
    host: e.VIGIL_HOST,
    redisUrl: redisUrls[0] ?? null,
    redisUrls,
    redisMode,
    redisSentinelMaster: redisMode === 'sentinel' ? e.VIGIL_REDIS_SENTINEL_MASTER : null,
    dataDir: path.resolve(e.VIGIL_DATA_DIR),
    adminUser: e.VIGIL_ADMIN_USER,
    adminPassword: e.VIGIL_ADMIN_PASSWORD ?? null,
    allowedOrigins,
    role: e.VIGIL_ROLE,
    logLevel: e.VIGIL_LOG_LEVEL,
    clientBufferBytes: e.VIGIL_CLIENT_BUFFER_BYTES,
    passwordAttemptsPerMinute: e.VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE,
    authorizationRequestsPerMinute: e.VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE,
    redisPrefix: e.VIGIL_REDIS_PREFIX,
    publicUrl,
    trustProxy,
    metricsToken: e.VIGIL_METRICS_TOKEN ?? null,
    smtpUrl: e.VIGIL_SMTP_URL ?? null,
    mailFrom: e.VIGIL_MAIL_FROM ?? null,
    eventRetention: { days: e.VIGIL_EVENT_RETENTION_DAYS, count: e.VIGIL_EVENT_RETENTION_COUNT },
    webhookAllowPrivate: e.VIGIL_WEBHOOK_ALLOW_PRIVATE,
  };
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

import { describe, expect, it } from 'vitest';
import { ConfigError, EnvSchema, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', redisUrl: null, adminUser: 'admin', adminPassword: null, role: 'all', logLevel: 'info', allowedOrigins: [] });
    expect(c.dataDir.endsWith('/var')).toBe(true);
    expect(c).toMatchObject({ passwordAttemptsPerMinute: 60, authorizationRequestsPerMinute: 120 });
    expect(c).toMatchObject({ clientBufferBytes: 1048576, redisPrefix: 'vigil', publicUrl: null, trustProxy: false, metricsToken: null });
    expect(c).toMatchObject({ redisMode: 'standalone', redisUrls: [], redisSentinelMaster: null });
    expect(c.eventRetention).toEqual({ days: 7, count: 1000000 });
  });

  it('reads the event retention by age and by count', () => {
    expect(loadConfig({ VIGIL_EVENT_RETENTION_DAYS: '30', VIGIL_EVENT_RETENTION_COUNT: '5000' }).eventRetention).toEqual({ days: 30, count: 5000 });
  });

  it('reads every variable it documents', () => {
    const c = loadConfig({
      VIGIL_PORT: '9090', VIGIL_HOST: '0.0.0.0', REDIS_URL: 'redis://r:6380', VIGIL_DATA_DIR: '/tmp/vigil-data', VIGIL_ADMIN_USER: 'root@example',
      VIGIL_ADMIN_PASSWORD: 'long-enough', VIGIL_ROLE: 'worker', VIGIL_LOG_LEVEL: 'debug', VIGIL_CLIENT_BUFFER_BYTES: '2048',
      VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '5', VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE: '7', VIGIL_REDIS_PREFIX: 'tenant_a',
    });
    expect(c).toMatchObject({
      port: 9090, host: '0.0.0.0', redisUrl: 'redis://r:6380', redisUrls: ['redis://r:6380'], dataDir: '/tmp/vigil-data', adminUser: 'root@example',
      adminPassword: 'long-enough', role: 'worker', logLevel: 'debug', clientBufferBytes: 2048,
      passwordAttemptsPerMinute: 5, authorizationRequestsPerMinute: 7, redisPrefix: 'tenant_a',
    });
  });

  // every variable of the schema has at least one bad value here (checked below)
  const badValues: Array<[Record<string, string>, string]> = [
    [{ VIGIL_PORT: '' }, 'VIGIL_PORT'],
    [{ VIGIL_PORT: '1.5' }, 'VIGIL_PORT'],
    [{ VIGIL_PORT: '-1' }, 'VIGIL_PORT'],
    [{ VIGIL_HOST: ' ' }, 'VIGIL_HOST'],
    [{ REDIS_URL: 'redis://ok:6379, http://x' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://:6379' }, 'REDIS_URL'],
    [{ VIGIL_REDIS_MODE: 'replica' }, 'VIGIL_REDIS_MODE'],
    [{ VIGIL_REDIS_MODE: 'sentinel', REDIS_URL: 'redis://s1:26379', VIGIL_REDIS_SENTINEL_MASTER: '' }, 'VIGIL_REDIS_SENTINEL_MASTER'],
    [{ VIGIL_REDIS_MODE: 'sentinel', REDIS_URL: 'redis://s1:26379', VIGIL_REDIS_SENTINEL_MASTER: 'my master' }, 'VIGIL_REDIS_SENTINEL_MASTER'],
    [{ VIGIL_REDIS_PREFIX: 'a:b' }, 'VIGIL_REDIS_PREFIX'],
    [{ VIGIL_DATA_DIR: '' }, 'VIGIL_DATA_DIR'],
    [{ VIGIL_CLIENT_BUFFER_BYTES: '1023' }, 'VIGIL_CLIENT_BUFFER_BYTES'],
    [{ VIGIL_CLIENT_BUFFER_BYTES: '1MB' }, 'VIGIL_CLIENT_BUFFER_BYTES'],
    [{ VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE: '0' }, 'VIGIL_PASSWORD_ATTEMPTS_PER_MINUTE'],
    [{ VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE: 'many' }, 'VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE'],
    [{ VIGIL_ALLOWED_ORIGINS: 'https://ok.example, mailto:x@example.com' }, 'VIGIL_ALLOWED_ORIGINS'],
    [{ VIGIL_ALLOWED_ORIGINS: 'foo://bar' }, 'VIGIL_ALLOWED_ORIGINS'],
    [{ VIGIL_TRUST_PROXY: '10.0.0.1, my proxy' }, 'VIGIL_TRUST_PROXY'],
    [{ VIGIL_PORT: 'eighty' }, 'VIGIL_PORT'],
    [{ VIGIL_PORT: '70000' }, 'VIGIL_PORT'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ VIGIL_ROLE: 'boss' }, 'VIGIL_ROLE'],
    [{ VIGIL_LOG_LEVEL: 'loud' }, 'VIGIL_LOG_LEVEL'],
    [{ VIGIL_ALLOWED_ORIGINS: 'not a url' }, 'VIGIL_ALLOWED_ORIGINS'],
    [{ VIGIL_ADMIN_PASSWORD: 'short' }, 'VIGIL_ADMIN_PASSWORD'],
    [{ VIGIL_ADMIN_USER: 'has space' }, 'VIGIL_ADMIN_USER'],
    [{ VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE: '0' }, 'VIGIL_AUTHORIZATION_REQUESTS_PER_MINUTE'],
    [{ VIGIL_PUBLIC_URL: 'vigil.example.com' }, 'VIGIL_PUBLIC_URL'],
    [{ VIGIL_PUBLIC_URL: 'https://vigil.example.com/?x=1' }, 'VIGIL_PUBLIC_URL'],
    [{ VIGIL_TRUST_PROXY: 'my proxy' }, 'VIGIL_TRUST_PROXY'],
    [{ VIGIL_METRICS_TOKEN: '' }, 'VIGIL_METRICS_TOKEN'],
    [{ VIGIL_METRICS_TOKEN: 'two words' }, 'VIGIL_METRICS_TOKEN'],
    [{ VIGIL_SMTP_URL: 'mail.example.com:25' }, 'VIGIL_SMTP_URL'],
    [{ VIGIL_SMTP_URL: 'http://mail.example.com' }, 'VIGIL_SMTP_URL'],
    [{ VIGIL_MAIL_FROM: 'vigil' }, 'VIGIL_MAIL_FROM'],
    [{ VIGIL_MAIL_FROM: 'two@at@example.com x' }, 'VIGIL_MAIL_FROM'],
    [{ VIGIL_EVENT_RETENTION_DAYS: '0' }, 'VIGIL_EVENT_RETENTION_DAYS'],
    [{ VIGIL_EVENT_RETENTION_DAYS: '7d' }, 'VIGIL_EVENT_RETENTION_DAYS'],
    [{ VIGIL_EVENT_RETENTION_COUNT: '9' }, 'VIGIL_EVENT_RETENTION_COUNT'],
    [{ VIGIL_EVENT_RETENTION_COUNT: '1e6' }, 'VIGIL_EVENT_RETENTION_COUNT'],
    [{ VIGIL_WEBHOOK_ALLOW_PRIVATE: 'yes please' }, 'VIGIL_WEBHOOK_ALLOW_PRIVATE'],
    [{ VIGIL_WEBHOOK_ALLOW_PRIVATE: '2' }, 'VIGIL_WEBHOOK_ALLOW_PRIVATE'],
  ];

  it.each(badValues)('stops with one sentence naming the variable: %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${name} [^\\n]*\\.$`));
  });

  it('has a bad-value case and a description for every variable of the schema', () => {
    const covered = new Set(badValues.map(([env, name]) => (name in env ? name : '')));
    for (const [name, s] of Object.entries(EnvSchema.properties)) {
      expect(covered.has(name), name).toBe(true);
      expect(typeof (s as { description?: unknown }).description, name).toBe('string');
    }
  });

  it('says the rule and the value given, in one sentence', () => {
    expect(() => loadConfig({ VIGIL_PORT: '70000' })).toThrow('VIGIL_PORT must be an integer from 0 to 65535, not "70000".');
    expect(() => loadConfig({ VIGIL_ROLE: 'boss' })).toThrow('VIGIL_ROLE must be one of all, api, worker, not "boss".');
    // a list's wrong entry is the value named
    expect(() => loadConfig({ VIGIL_TRUST_PROXY: '10.0.0.1, my proxy' })).toThrow(/, not "my proxy"\.$/);
  });

  it('never prints a secret', () => {
    const message = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message({ VIGIL_ADMIN_PASSWORD: 'hunter2' })).toBe('VIGIL_ADMIN_PASSWORD must be a string of 8 to 256 characters.');
    expect(message({ VIGIL_METRICS_TOKEN: 'secret token' })).not.toContain('secret');
    const redis = message({ REDIS_URL: 'http://user:hunter2@redis.example:6379' });
    expect(redis).toMatch(/^REDIS_URL /);
    expect(redis).not.toContain('hunter2');
    expect(redis).toContain('redis.example');
  });

  it('takes REDIS_URL as a list of seed nodes or sentinels, in cluster and sentinel mode', () => {
    const cluster = loadConfig({ VIGIL_REDIS_MODE: 'cluster', REDIS_URL: 'redis://n1:7000, rediss://n2:7001 ,redis://n3:7002' });
    expect(cluster).toMatchObject({ redisMode: 'cluster', redisUrls: ['redis://n1:7000', 'rediss://n2:7001', 'redis://n3:7002'], redisUrl: 'redis://n1:7000', redisSentinelMaster: null });
    expect(loadConfig({ VIGIL_REDIS_MODE: 'cluster', REDIS_URL: 'redis://only:7000' }).redisUrls).toEqual(['redis://only:7000']);

    const sentinel = loadConfig({ VIGIL_REDIS_MODE: 'sentinel', REDIS_URL: 'redis://s1:26379,redis://s2:26379' });
    expect(sentinel).toMatchObject({ redisMode: 'sentinel', redisUrls: ['redis://s1:26379', 'redis://s2:26379'], redisSentinelMaster: 'mymaster' });
    expect(loadConfig({ VIGIL_REDIS_MODE: 'sentinel', REDIS_URL: 'redis://s1:26379', VIGIL_REDIS_SENTINEL_MASTER: 'vigil-main' }).redisSentinelMaster).toBe('vigil-main');

    const standalone = loadConfig({ REDIS_URL: ' rediss://:pw@r.example:6380/2 ' });
    expect(standalone).toMatchObject({ redisMode: 'standalone', redisUrl: 'rediss://:pw@r.example:6380/2', redisUrls: ['rediss://:pw@r.example:6380/2'] });
    expect(loadConfig({ REDIS_URL: '  ' })).toMatchObject({ redisUrl: null, redisUrls: [] });
  });

  it.each([
    [{ REDIS_URL: 'redis://a:6379,redis://b:6379' }, /^REDIS_URL must be a single URL when VIGIL_REDIS_MODE is standalone/],
    [{ VIGIL_REDIS_MODE: 'cluster' }, /^REDIS_URL must be set when VIGIL_REDIS_MODE is cluster/],
    [{ VIGIL_REDIS_MODE: 'sentinel', REDIS_URL: '' }, /^REDIS_URL must be set when VIGIL_REDIS_MODE is sentinel/],
    [{ VIGIL_REDIS_MODE: 'sentinel', REDIS_URL: 'redis://s1:26379', VIGIL_REDIS_SENTINEL_MASTER: ' ' }, /^VIGIL_REDIS_SENTINEL_MASTER must be/],
    [{ VIGIL_REDIS_SENTINEL_MASTER: 'mymaster', REDIS_URL: 'redis://s1:26379' }, /^VIGIL_REDIS_SENTINEL_MASTER is for VIGIL_REDIS_MODE sentinel only/],
    [{ VIGIL_REDIS_MODE: 'cluster', REDIS_URL: 'redis://n1:7000,https://n2:7001' }, /^REDIS_URL must be .*, not "https:\/\/n2:7001"\.$/],
  ])('refuses a Redis topology that cannot work: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the public URL without a trailing slash, and the proxies to trust', () => {
    expect(loadConfig({}).publicUrl).toBeNull();
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ VIGIL_PUBLIC_URL: 'https://vigil.example.com/' }).publicUrl).toBe('https://vigil.example.com');
    expect(loadConfig({ VIGIL_PUBLIC_URL: 'https://example.com/vigil/' }).publicUrl).toBe('https://example.com/vigil');
    expect(loadConfig({ VIGIL_PUBLIC_URL: ' ' }).publicUrl).toBeNull();
    expect(loadConfig({ VIGIL_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ VIGIL_TRUST_PROXY: 'on' }).trustProxy).toBe(true);
    expect(loadConfig({ VIGIL_TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '' }).trustProxy).toBe(false);
    expect(loadConfig({ VIGIL_TRUST_PROXY: 'loopback, fe80::/10' }).trustProxy).toEqual(['loopback', 'fe80::/10']);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('refuses private webhook destinations unless VIGIL_WEBHOOK_ALLOW_PRIVATE is 1 (or true/on)', () => {
    expect(loadConfig({}).webhookAllowPrivate).toBe(false);
    expect(loadConfig({ VIGIL_WEBHOOK_ALLOW_PRIVATE: '1' }).webhookAllowPrivate).toBe(true);
    expect(loadConfig({ VIGIL_WEBHOOK_ALLOW_PRIVATE: 'on' }).webhookAllowPrivate).toBe(true);
    expect(loadConfig({ VIGIL_WEBHOOK_ALLOW_PRIVATE: '0' }).webhookAllowPrivate).toBe(false);
    // a hop count stays a hop count: 1 and 0 read as booleans only for flags
    expect(loadConfig({ VIGIL_TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it('leaves /metrics open unless VIGIL_METRICS_TOKEN is set', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ VIGIL_METRICS_TOKEN: 'scrape-me_0123' }).metricsToken).toBe('scrape-me_0123');
  });

  it('keeps mail in the outboxes unless VIGIL_SMTP_URL is set, and never prints its password', () => {
    expect(loadConfig({})).toMatchObject({ smtpUrl: null, mailFrom: null });
    expect(loadConfig({ VIGIL_SMTP_URL: 'smtps://u:p@mail.example.com:465', VIGIL_MAIL_FROM: 'Vigil <ops@example.com>' })).toMatchObject({ smtpUrl: 'smtps://u:p@mail.example.com:465', mailFrom: 'Vigil <ops@example.com>' });
    let text = '';
    try { loadConfig({ VIGIL_SMTP_URL: 'smtp://u:hunter22@mail.example.com:25/x?y' }); } catch (err) { text = (err as Error).message; }
    expect(text).toContain('VIGIL_SMTP_URL');
    expect(text).not.toContain('hunter22');
  });

  it('normalises allowed origins', () => {
    expect(loadConfig({ VIGIL_ALLOWED_ORIGINS: 'https://a.example/, http://b.example:8080' }).allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', redisUrl: null, adminUser: 'admin', adminPassword: null, role: 'all', logLevel: 'info', allowedOrigins: [] });
    expect(c.dataDir.endsWith('/var')).toBe(true);
    expect(c).toMatchObject({ passwordAttemptsPerMinute: 60, authorizationRequestsPerMinute: 120 });
  });

  it.each([
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
  ])('stops with one sentence naming the variable: %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${name} `));
  });

  it('reads the public URL without a trailing slash, and the proxies to trust', () => {
    expect(loadConfig({}).publicUrl).toBeNull();
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ VIGIL_PUBLIC_URL: 'https://vigil.example.com/' }).publicUrl).toBe('https://vigil.example.com');
    expect(loadConfig({ VIGIL_PUBLIC_URL: 'https://example.com/vigil/' }).publicUrl).toBe('https://example.com/vigil');
    expect(loadConfig({ VIGIL_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('leaves /metrics open unless VIGIL_METRICS_TOKEN is set', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ VIGIL_METRICS_TOKEN: 'scrape-me_0123' }).metricsToken).toBe('scrape-me_0123');
  });

  it('normalises allowed origins', () => {
    expect(loadConfig({ VIGIL_ALLOWED_ORIGINS: 'https://a.example/, http://b.example:8080' }).allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });
});

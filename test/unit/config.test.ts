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
  ])('stops with one sentence naming the variable: %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${name} `));
  });

  it('normalises allowed origins', () => {
    expect(loadConfig({ VIGIL_ALLOWED_ORIGINS: 'https://a.example/, http://b.example:8080' }).allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });
});

/**
 * The services are fastify-plugins that name what they need: registering one before its
 * dependencies fails at start with a sentence naming the missing one, instead of a service
 * reading an undefined decorator at the first request.
 */
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { metricsPlugin } from '../../server/plugins/metrics.js';
import { redisPlugin } from '../../server/plugins/redis.js';
import { timersPlugin } from '../../server/plugins/timers.js';
import { sessionsPlugin } from '../../server/plugins/sessions.js';
import { storesPlugin } from '../../server/plugins/stores.js';
import { realtimePlugin } from '../../server/plugins/realtime.js';
import { realmsPlugin } from '../../server/plugins/realms.js';
import { authPlugin } from '../../server/plugins/auth.js';
import { oidcServicePlugin } from '../../server/plugins/oidc.js';
import { mailPlugin } from '../../server/plugins/mail.js';
import { outboundPlugin } from '../../server/plugins/outbound.js';

const meta = (plugin: object) => (plugin as Record<symbol, { name: string; dependencies?: string[] }>)[Symbol.for('plugin-meta')]!;

const PLUGINS = { metricsPlugin, redisPlugin, timersPlugin, sessionsPlugin, storesPlugin, realtimePlugin, realmsPlugin, authPlugin, oidcServicePlugin, mailPlugin, outboundPlugin };

describe('service plugins', () => {
  it.each(Object.entries(PLUGINS))('%s has a name and refuses to start without its first dependency', async (_, plugin) => {
    const { name, dependencies } = meta(plugin);
    expect(name).toMatch(/^vigil-/);
    expect(dependencies?.length).toBeGreaterThan(0);
    const app = Fastify({ logger: false });
    await expect(app.register(plugin as never).ready()).rejects.toThrow(`The dependency '${dependencies![0]}' of plugin '${name}' is not registered`);
    await app.close().catch(() => {});
  });
});

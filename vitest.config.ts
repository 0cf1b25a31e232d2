import { defineConfig } from 'vitest/config';

/**
 * The integration suite's core scenarios (the console lifecycle warning → expiry over /ws and
 * Socket.IO, terminate, resume with `since`, the OIDC password grant and refresh), run again
 * against a real Redis Cluster and a real Sentinel deployment (test/global-setup.ts starts them).
 */
const ON_EVERY_TOPOLOGY = ['test/integration/timers.test.ts', 'test/integration/realtime.test.ts', 'test/integration/oidc-tokens.test.ts', 'test/integration/webhooks.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/reporters/summary.ts'],
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'standalone', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cluster', include: ON_EVERY_TOPOLOGY } },
      { extends: true, test: { name: 'sentinel', include: ON_EVERY_TOPOLOGY } },
    ],
  },
});

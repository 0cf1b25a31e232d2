/**
 * `npm start`: validates the configuration, starts the embedded Redis when REDIS_URL is
 * unset, builds the app, starts the timer worker (roles all/worker), listens (roles all/api)
 * and shuts down gracefully on SIGINT/SIGTERM.
 */
import { loadConfig, ConfigError } from './config.js';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded.js';
import { probeRedis, redactRedisUrl, redisTarget } from './redis/connect.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vigil: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  let embedded: EmbeddedRedis | null = null;
  if (config.redisUrl) {
    const urls = config.redisUrls.join(',');
    try {
      await probeRedis(redisTarget(urls, config.redisMode, config.redisSentinelMaster ?? undefined));
    } catch (err) {
      const where = `${config.redisMode === 'standalone' ? '' : `${config.redisMode} `}${config.redisUrls.map(redactRedisUrl).join(', ')}`;
      process.stderr.write(`vigil: Redis at ${where} does not answer (${(err as Error).message}): start it, correct REDIS_URL, or unset REDIS_URL to run an embedded one.\n`);
      process.exit(69);
    }
  } else {
    try {
      embedded = await startEmbeddedRedis(config.dataDir, (m) => process.stdout.write(`vigil: ${m}\n`));
    } catch (err) {
      process.stderr.write(`vigil: ${(err as Error).message}\n`);
      process.exit(69);
    }
  }
  const app = await buildApp({ config, redisUrl: config.redisUrls.length ? config.redisUrls.join(',') : embedded!.url });
  const { adminCreated, password } = await bootstrap(app);
  if (config.role !== 'api') {
    await app.timers.startWorker();
    await app.mail.startWorker();
    await app.outbound.startWorker();
  }
  if (config.role !== 'worker') {
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/`;
    process.stdout.write(`\nVigil is running: ${url}\n`);
    if (adminCreated && password) process.stdout.write(`Admin of realm "default": ${config.adminUser} / ${password}  (shown once; change it after signing in)\n\n`);
    else if (adminCreated) process.stdout.write(`Admin of realm "default": ${config.adminUser} (password from VIGIL_ADMIN_PASSWORD)\n\n`);
  } else {
    await app.ready();
    process.stdout.write('Vigil timer worker running\n');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await app.close();
    } finally {
      await embedded?.stop();
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

void main().catch((err) => {
  process.stderr.write(`vigil: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

/**
 * Entry of a Vigil server child for benchmarks: the real app, configured from the environment
 * (REDIS_URL, VIGIL_REDIS_PREFIX, VIGIL_ADMIN_PASSWORD, ...), timer worker on unless
 * VIGIL_ROLE=api, listening on 127.0.0.1 at a random port. Prints one line
 * `VIGIL_BENCH_READY {"port":N}` when ready; exits cleanly on SIGTERM/SIGINT.
 */
import { loadConfig } from '../../server/config.js';
import { buildApp } from '../../server/app.js';
import { bootstrap } from '../../server/bootstrap.js';

const config = loadConfig({ VIGIL_PORT: '0', VIGIL_HOST: '127.0.0.1', VIGIL_LOG_LEVEL: 'warn', ...process.env });
if (!config.redisUrl) throw new Error('REDIS_URL must be set for a benchmark server');
const app = await buildApp({ config, redisUrl: config.redisUrl });
await bootstrap(app);
if (config.role !== 'api') {
  await app.timers.startWorker();
  await app.outbound.startWorker();
}
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as { port: number }).port;
process.stdout.write(`VIGIL_BENCH_READY ${JSON.stringify({ port, pid: process.pid })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// the parent went away: do not linger
process.on('disconnect', () => void stop());

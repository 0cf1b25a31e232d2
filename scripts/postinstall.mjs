#!/usr/bin/env node
/**
 * Runs after `npm install`: makes sure the system tools Vigil needs are there and builds the
 * dashboard, so that `npm start` and `npm test` work on a fresh machine.
 *  - redis-server (the embedded Redis, and the test suite's own Redis);
 *  - chromium (the browser tests; set VIGIL_SKIP_CHROMIUM=1 to skip);
 * As root they are installed with apt-get; otherwise the command to run is printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const say = (m) => process.stdout.write(`vigil setup: ${m}\n`);
const has = (bin, args = ['--version']) => spawnSync(bin, args, { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let aptUpdated = false;

function aptInstall(pkg) {
  if (!isRoot) return false;
  if (!has('apt-get', ['--version'])) return false;
  say(`installing ${pkg} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  if (r.status !== 0 && !aptUpdated) {
    aptUpdated = true;
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  }
  return r.status === 0;
}

const missing = [];
if (!has('redis-server')) {
  if (!aptInstall('redis-server') || !has('redis-server')) missing.push('redis-server');
}
if (process.env.VIGIL_SKIP_CHROMIUM !== '1' && !existsSync('/usr/bin/chromium')) {
  if (!aptInstall('chromium') || !existsSync('/usr/bin/chromium')) missing.push('chromium');
}
if (missing.length) {
  say(`missing: ${missing.join(', ')}. Install with:  sudo apt-get install -y ${missing.join(' ')}`);
  if (missing.includes('redis-server')) say('(or set REDIS_URL to an existing Redis for npm start)');
}

if (existsSync('web/vite.config.ts')) {
  say('building the dashboard…');
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) {
    say('the dashboard build failed (see above); `npm run build` retries it.');
    process.exit(1);
  }
}
say('ready. Start with: npm start');

// Load generator for bench/oidc.ts, run in a worker thread (plain JS so that it needs no loader):
// keep-alive HTTP/1.1 connections, each looping one request at a time until the phase ends.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { port, realm, phase, seconds, concurrency, refreshTokens, users } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const send = (p, body) =>
  new Promise((resolve, reject) => {
    const get = phase === 'healthz';
    const req = http.request(
      { host: '127.0.0.1', port, path: p, method: get ? 'GET' : 'POST', agent, headers: get ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(get ? undefined : body);
  });

const tokenPath = `/realms/${realm}/protocol/openid-connect/token`;
const latest = [...refreshTokens];
const latencies = [];
let ok = 0;
let errors = 0;
const until = performance.now() + seconds * 1000;

async function loop(w) {
  let i = w;
  while (performance.now() < until) {
    const t0 = performance.now();
    let r;
    if (phase === 'healthz') r = await send('/healthz', '');
    else if (phase === 'refresh') {
      const slot = i % latest.length;
      r = await send(tokenPath, new URLSearchParams({ grant_type: 'refresh_token', client_id: 'bench', refresh_token: latest[slot] }).toString());
      if (r.status === 200) latest[slot] = JSON.parse(r.text).refresh_token;
    } else {
      const u = users[i % users.length];
      r = await send(tokenPath, new URLSearchParams({ grant_type: 'password', client_id: 'bench', username: u.username, password: u.password, scope: 'openid' }).toString());
    }
    latencies.push(performance.now() - t0);
    if (r.status === 200) ok++;
    else if (++errors < 3) console.error(`  ${phase} error ${r.status}: ${r.text.slice(0, 200)}`);
    i += concurrency;
  }
}

await Promise.all(Array.from({ length: concurrency }, (_, w) => loop(w)));
agent.destroy();
parentPort.postMessage({ name: phase, ok, errors, seconds, latencies });

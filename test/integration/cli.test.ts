/**
 * The `vigil` command line against the real app: each command runs as a child process
 * (`node cli/vigil.mjs …`), as a user would run it, with its own config directory.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.js';

const VIGIL = join(import.meta.dirname, '../../cli/vigil.mjs');

let t: TestApp;
let configDir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, VIGIL_URL: t.url, VIGIL_CONFIG_DIR: configDir, NO_COLOR: '1', ...extra };
  delete e.VIGIL_TOKEN;
  delete e.VIGIL_REALM;
  return e;
}

function vigil(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL, ...args], { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`vigil ${args.join(' ')} hung; stderr: ${stderr}`))), 45_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** A long-running vigil (tail): its output so far, and a wait for a line that matches. */
class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], extra: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [VIGIL, ...args], { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }
  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }
  async waitFor(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; stdout: ${this.stdout}; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const oneLine = (s: string) => s.split('\n').filter(Boolean);

beforeAll(async () => {
  t = await startTestApp();
  configDir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
});

afterAll(async () => {
  await t?.close();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

describe('vigil login and sessions', () => {
  it('saves the token in a 0600 file in a 0700 directory, and sessions then lists the admin’s sessions', async () => {
    const r = await vigil(['login', '--username', 'admin', '--password', t.adminPassword]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/as admin/);
    const file = join(configDir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const cred = saved[`${t.url}#default`];
    expect(cred.token).toMatch(/\S{20,}/);

    const me = await t.api('GET', '/me', { token: t.adminToken });
    const s = await vigil(['sessions']);
    expect(s.code, s.stderr).toBe(0);
    const lines = oneLine(s.stdout);
    expect(lines[0]).toMatch(/^ID\s+USER\s+KIND\s+STATE\s+LAST ACTIVITY\s+EXPIRES\s+IP\s+CLIENT$/);
    expect(lines.find((l) => l.startsWith(`${cred.sessionId} *`))).toMatch(/admin\s+console\s+active/);
    expect(s.stdout).toContain(me.body.session.id);
    const paged = await vigil(['sessions', '--page-size', '1']);
    expect(oneLine(paged.stdout).slice(1).map((l) => l.split(' ')[0]).sort()).toEqual(lines.slice(1).map((l) => l.split(' ')[0]).sort());
    expect(lines.length).toBeGreaterThanOrEqual(3); // the header and at least two sessions: more than one page
    const filtered = await vigil(['sessions', '--user', 'nobody-here']);
    expect(oneLine(filtered.stdout)).toHaveLength(1); // the header only
  });

  it('asks for nothing without a terminal: login with no password is a usage error', async () => {
    const r = await vigil(['login', '--username', 'admin']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
  });

  it('a wrong password exits 1 with the server’s message on one line', async () => {
    const r = await vigil(['login', '--username', 'admin', '--password', 'not-the-password']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^vigil: .+ \(VIGIL_ERR_INVALID_CREDENTIALS\)$/)]);
    expect(r.stdout).toBe('');
  });
});

describe('vigil tail', () => {
  it('prints an NDJSON line per event and resumes after the server drops the connection, without losing or repeating one', async () => {
    await t.createUser('tailer');
    const tail = new Running(['tail', '--json', '--name', 'session.*', '--token', t.adminToken]);
    try {
      await tail.waitFor('the subscription', () => /following sessions/.test(tail.stderr));
      const first = await t.login('tailer', 'tailer-password');
      const started = (id: string) => tail.lines().map((l) => JSON.parse(l)).filter((e) => e.name === 'session.started' && e.sessionId === id);
      await tail.waitFor('session.started of the first sign-in', () => started(first.session.id).length === 1);
      for (const line of tail.lines()) expect(JSON.parse(line).name).toMatch(/^session\./);

      for (const s of t.app.websocketServer.clients) s.close(1001);
      const second = await t.login('tailer', 'tailer-password'); // while the CLI is away
      await tail.waitFor('session.started of the sign-in made while it was away', () => started(second.session.id).length === 1);
      await tail.waitFor('the reconnect notice', () => /reconnected/.test(tail.stderr));
      const third = await t.login('tailer', 'tailer-password');
      await tail.waitFor('session.started after the reconnect', () => started(third.session.id).length === 1);

      expect(started(first.session.id)).toHaveLength(1);
      expect(started(second.session.id)).toHaveLength(1);
      const ids = tail.lines().map((l) => JSON.parse(l).id);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      tail.child.kill('SIGINT');
    }
    expect(await tail.exited).toBe(0);
  });

  it('prints aligned lines without colour when not on a terminal', async () => {
    const tail = new Running(['tail', '--token', t.adminToken]);
    try {
      await tail.waitFor('the subscription', () => /following sessions/.test(tail.stderr));
      const s = await t.login('tailer', 'tailer-password');
      await tail.waitFor('the line', () => tail.stdout.includes(s.session.id));
      const line = tail.lines().find((l) => l.includes(s.session.id))!;
      expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} session\\.started +tailer +${s.session.id} +kind=console`));
      expect(tail.stdout).not.toContain('\x1b[');
    } finally {
      tail.child.kill('SIGINT');
    }
    expect(await tail.exited).toBe(0);
  });

  it('exits 1 on one line when the credential ends (4401)', async () => {
    const s = await t.login('tailer', 'tailer-password');
    const tail = new Running(['tail', '--topic', 'self', '--token', s.token]);
    await tail.waitFor('the subscription', () => /following self/.test(tail.stderr));
    await t.api('DELETE', `/sessions/${s.session.id}`, { token: t.adminToken });
    expect(await tail.exited).toBe(1);
    expect(tail.stderr).toMatch(/4401/);
    expect(tail.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 on one line when an admin closes the connection (4403)', async () => {
    const tail = new Running(['tail', '--token', t.adminToken]);
    await tail.waitFor('the subscription', () => /following sessions/.test(tail.stderr));
    const conns = await t.api('GET', '/connections', { token: t.adminToken });
    expect(conns.status).toBe(200);
    const mine = conns.body.connections.filter((c: { transport: string; userAgent: string }) => c.transport === 'ws' && /vigil-cli/.test(c.userAgent));
    expect(mine).toHaveLength(1);
    expect((await t.api('DELETE', `/connections/${mine[0].id}`, { token: t.adminToken })).status).toBe(204);
    expect(await tail.exited).toBe(1);
    expect(oneLine(tail.stderr).at(-1)).toMatch(/^vigil: forbidden \(4403/);
  });

  it('a refused credential exits 1 with the server’s message', async () => {
    const r = await vigil(['tail', '--token', 'vs_not-a-token']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^vigil: .+ \(VIGIL_ERR_UNAUTHENTICATED\)$/)]);
  });

  it('--topic stats prints the counters at once and again when they change; a topic the caller may not follow exits 1', async () => {
    const tail = new Running(['tail', '--topic', 'stats', '--token', t.adminToken]);
    await tail.waitFor('the counters', () => tail.lines().length > 0);
    expect(tail.lines()[0]).toMatch(/ stats +active=(\d+) warning=\d+ console=\d+ sso=\d+ offline=\d+ connected=\d+ lastHour: started=\d+/);
    const active = Number(/active=(\d+)/.exec(tail.lines()[0]!)![1]);
    await t.login('admin', t.adminPassword);
    await tail.waitFor('the next counters', () => tail.lines().some((l) => l.includes(`active=${active + 1} `)));
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);

    const user = await t.createUser('plain-user');
    const { token } = await t.login(user.username, user.password);
    const refused = await vigil(['tail', '--topic', 'stats', '--token', token]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toEqual([expect.stringMatching(/^vigil: cannot follow stats: .+\(VIGIL_ERR_FORBIDDEN\)$/)]);
  });
});

describe('vigil users, keys and sessions kill', () => {
  it('users add generates and prints a password once when not on a terminal; users ls lists the user', async () => {
    const r = await vigil(['users', 'add', 'bob', '--role', 'viewer', '--token', t.adminToken]);
    expect(r.code, r.stderr).toBe(0);
    const password = /^password: (\S+)$/m.exec(r.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(16);
    const bob = await t.login('bob', password);
    expect(bob.session.user.username).toBe('bob');

    const again = await vigil(['users', 'add', 'bob', '--token', t.adminToken]);
    expect(again.code).toBe(1);
    expect(oneLine(again.stderr)).toEqual([expect.stringMatching(/VIGIL_ERR_CONFLICT/)]);

    const ls = await vigil(['users', 'ls', '--token', t.adminToken]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^bob\s+viewer\s+yes/m);
    expect(ls.stdout).toMatch(/^admin\s+admin/m);
  });

  it('keys create prints a display key once', async () => {
    const r = await vigil(['keys', 'create', 'wall', '--token', t.adminToken]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^vk_\S+\n$/);
  });

  it('sessions kill ID ends that session', async () => {
    await t.createUser('carol');
    const c = await t.login('carol', 'carol-password');
    const r = await vigil(['sessions', 'kill', c.session.id, '--token', t.adminToken]);
    expect(r.code, r.stderr).toBe(0);
    expect((await t.api('GET', `/sessions/${c.session.id}`, { token: t.adminToken })).status).toBe(404);
    const missing = await vigil(['sessions', 'kill', c.session.id, '--token', t.adminToken]);
    expect(missing.code).toBe(1);
    expect(oneLine(missing.stderr)).toEqual([expect.stringMatching(/VIGIL_ERR_NOT_FOUND/)]);
  });

  it('simulate signs in synthetic users at the rate and prints a summary', async () => {
    const r = await vigil(['simulate', '--users', '3', '--rate', '5', '--seconds', '3', '--token', t.adminToken]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/users: +3 \(3 created, 0 existing\)/);
    expect(r.stdout).toMatch(/sign-ins: +3 ok, 0 failed/);
    expect(r.stdout).toMatch(/achieved rate:/);
    const again = await vigil(['simulate', '--users', '3', '--rate', '5', '--seconds', '1', '--token', t.adminToken]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/users: +3 \(0 created, 3 existing\)/);
    expect(again.stdout).toMatch(/sign-ins: +3 ok/);
  });

  it('sessions kill --others ends every other session and prints how many', async () => {
    await t.login('carol', 'carol-password');
    await t.login('carol', 'carol-password');
    const before = await t.api('GET', '/sessions?limit=1000', { token: t.adminToken });
    const others = before.body.sessions.length - 1;
    expect(others).toBeGreaterThanOrEqual(2);
    const r = await vigil(['sessions', 'kill', '--others', '--token', t.adminToken]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`terminated ${others} other sessions\n`);
    const after = await t.api('GET', '/sessions', { token: t.adminToken });
    expect(after.body.sessions.map((s: { id: string }) => s.id)).toHaveLength(1);
  });
});

describe('vigil usage and failures', () => {
  it('bad usage exits 2', async () => {
    for (const args of [['sessions', 'kill'], ['frobnicate'], ['tail', '--topic', 'nope'], ['simulate', '--users', 'x', '--rate', '1'], ['users', 'add']]) {
      const r = await vigil([...args, '--token', 'x']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('an unreachable server exits 1 with one line naming the URL, no stack', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    for (const url of ['http://127.0.0.1:1', `http://127.0.0.1:${closed}`]) {
      for (const args of [['sessions'], ['tail']]) {
        const r = await vigil(['--url', url, '--token', 'x', ...args]);
        expect(r.code, `${url} ${args}`).toBe(1);
        expect(oneLine(r.stderr), `${url} ${args}`).toEqual([expect.stringContaining(`cannot reach the Vigil server at ${url}`)]);
      }
    }
  });

  it('without a token and no saved one, says how to sign in', async () => {
    const r = await vigil(['sessions'], { VIGIL_CONFIG_DIR: join(configDir, 'empty') });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/not signed in .*vigil login/)]);
  });
});

describe('vigil tail against a stand-in server (what the real one does rarely)', () => {
  it('says so on stderr when a resume comes back as a resync snapshot, skips what it printed already, and exits 1 on 4403', async () => {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    const subscribes: Record<string, unknown>[] = [];
    const event = (id: string) => ({ id, name: 'session.started', at: '2026-12-01T08:00:00.000Z', realm: 'default', sessionId: `s_${id}`, session: null, data: {} });
    wss.on('connection', (ws) => {
      const n = subscribes.length;
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, serverTime: new Date().toISOString(), role: 'admin', realm: 'default', sessionId: null, expiresAt: null }));
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.type !== 'subscribe') return;
        subscribes.push(m);
        if (n === 0) {
          ws.send(JSON.stringify({ type: 'snapshot', topic: 'sessions', cursor: '100-0', sessions: [], resync: false, ref: m.ref }));
          ws.send(JSON.stringify({ type: 'events', topic: 'sessions', events: [event('100-1')] }));
          setTimeout(() => ws.close(1001, 'going away'), 200);
        } else {
          ws.send(JSON.stringify({ type: 'snapshot', topic: 'sessions', cursor: '200-0', sessions: [], resync: true, ref: m.ref }));
          ws.send(JSON.stringify({ type: 'events', topic: 'sessions', events: [event('100-1'), event('200-1')] }));
          setTimeout(() => ws.close(4403, 'closed by an admin'), 200);
        }
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      const r = await vigil(['--url', url, '--token', 'x', 'tail', '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(subscribes.map((m) => m.since)).toEqual([undefined, '100-1']);
      expect(oneLine(r.stdout).map((l) => JSON.parse(l).id)).toEqual(['100-1', '200-1']);
      expect(r.stderr).toMatch(/away too long .* events may be missing/);
      expect(oneLine(r.stderr).at(-1)).toBe('vigil: forbidden (4403 closed by an admin)');
    } finally {
      wss.close();
      http.close();
    }
  });
});

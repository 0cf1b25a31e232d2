/** The CLI's pure helpers: tables, wildcards, cursors, event lines, the credentials file. */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table, wildcard, relative, duration } from '../../cli/output.js';
import { compareCursors, eventLine } from '../../cli/commands/tail.js';
import { configDir, loadCredential, saveCredential } from '../../cli/credentials.js';
import { describeError } from '../../cli/client.js';
import { generatePassword, parseRoles } from '../../cli/commands/users.js';
import type { VigilEvent } from '../../shared/protocol.js';

describe('cli output', () => {
  it('aligns columns under their headers, without colour when asked', () => {
    const out = table([{ a: 'x', b: 'long value' }, { a: 'longer', b: 'y' }], [
      { header: 'A', value: (r) => r.a },
      { header: 'B', value: (r) => r.b },
    ], false);
    expect(out.split('\n')).toEqual(['A       B', 'x       long value', 'longer  y']);
  });

  it('matches names with * wildcards only', () => {
    expect(wildcard('session.*').test('session.started')).toBe(true);
    expect(wildcard('session.*').test('sessionXstarted')).toBe(false);
    expect(wildcard('*.failed').test('login.failed')).toBe(true);
    expect(wildcard('login.failed').test('login.failed.x')).toBe(false);
  });

  it('says times relative to now', () => {
    const now = Date.parse('2026-12-01T08:00:00.000Z');
    expect(relative('2026-12-01T08:04:48.000Z', now)).toBe('in 4m 48s');
    expect(relative('2026-12-01T07:59:48.000Z', now)).toBe('12s ago');
    expect(duration(3 * 86400 + 7200)).toBe('3d 2h');
  });

  it('orders stream cursors numerically', () => {
    expect(compareCursors('1700000000000-2', '1700000000000-10')).toBe(-1);
    expect(compareCursors('1700000000001-0', '1700000000000-99')).toBe(1);
    expect(compareCursors('5-5', '5-5')).toBe(0);
  });

  it('prints an event as time, name, user, session id and details', () => {
    const e = {
      id: '1-0', name: 'session.terminated', at: '2026-12-01T08:01:02.345Z', realm: 'default', sessionId: 's_abc',
      session: { user: { id: 'u_1', username: 'alice' } }, data: { reason: 'admin', by: { username: 'admin' } },
    } as unknown as VigilEvent;
    expect(eventLine(e)).toBe(`08:01:02.345 ${'session.terminated'.padEnd(22)} ${'alice'.padEnd(16)} ${'s_abc'.padEnd(26)} reason=admin by=admin`);
    expect(eventLine(e, true)).toContain('\x1b[31m');
  });

  it('turns an error body into one line', () => {
    expect(describeError(401, { statusCode: 401, code: 'VIGIL_ERR_INVALID_CREDENTIALS', error: 'Unauthorized', message: 'Invalid username or password' }))
      .toBe('Invalid username or password (VIGIL_ERR_INVALID_CREDENTIALS)');
    expect(describeError(502, '<html>\nbad gateway')).toBe('<html>');
    expect(describeError(500, null)).toBe('HTTP 500');
  });

  it('generates long passwords and checks roles', () => {
    expect(generatePassword().length).toBeGreaterThanOrEqual(16);
    expect(generatePassword()).not.toBe(generatePassword());
    expect(parseRoles('viewer,user')).toEqual(['viewer', 'user']);
    expect(() => parseRoles('root')).toThrow(/--role/);
  });
});

describe('cli credentials', () => {
  const saved = { ...process.env };
  let dir: string | undefined;
  afterEach(() => {
    process.env = { ...saved };
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one token per URL and realm in a 0600 file under a 0700 directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cred-'));
    process.env.VIGIL_CONFIG_DIR = join(dir, 'vigil');
    const cred = (token: string) => ({ token, username: 'admin', sessionId: 's_1', savedAt: '2026-12-01T08:00:00.000Z' });
    const file = saveCredential('http://a:1', 'default', cred('t1'));
    saveCredential('http://a:1/', 'other', cred('t2'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'vigil')).mode & 0o777).toBe(0o700);
    expect(loadCredential('http://a:1', 'default')?.token).toBe('t1');
    expect(loadCredential('http://a:1', 'other')?.token).toBe('t2');
    expect(loadCredential('http://b:1', 'default')).toBeUndefined();
  });

  it('follows XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/x' })).toBe('/x/vigil');
    expect(configDir({ VIGIL_CONFIG_DIR: '/y', XDG_CONFIG_HOME: '/x' })).toBe('/y');
    expect(configDir({})).toMatch(/\.config\/vigil$/);
  });
});

/** How a session travels in the event stream (includes/common.lua packSession ↔ sessions/format.ts). */
import { describe, expect, it } from 'vitest';
import { formatEvent, streamSession, STREAM_SESSION_FIELDS } from '../../server/sessions/format.js';

const t = 1_796_130_000_000;
const hash = { id: 's_AAAAAAAAAAAAAAAA', k: 'console', u: 'u_1', n: 'alice', c: '', st: 'a', wr: '', ca: t - 5000, la: t, it: 300, mx: t + 2_592_000_000, wa: t + 300_000, ea: t + 330_000, ip: '10.0.0.1', ua: 'Mozilla/5.0' };

describe('a session in a stream entry', () => {
  it('is rebuilt from the packed array: the id from the entry, times from the entry time', () => {
    const packed = STREAM_SESSION_FIELDS.map((k) => (['ca', 'la', 'mx', 'wa', 'ea'].includes(k) ? Number(hash[k]) - t : hash[k]));
    expect(streamSession(hash.id, t, JSON.stringify(packed))).toEqual(hash);
  });

  it('is still read from an entry written as an object (before the packed form)', () => {
    const e = formatEvent('default', `${t}-0`, ['n', 'session.started', 's', hash.id, 't', String(t), 'd', '{}', 'h', JSON.stringify(hash)]);
    expect(e.session).toMatchObject({ id: hash.id, user: { id: 'u_1', username: 'alice' }, lastActivityAt: new Date(t).toISOString(), expiresAt: new Date(t + 330_000).toISOString() });
  });
});

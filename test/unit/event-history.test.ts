/** The history's filters and the CSV export's quoting (server/sessions/history.ts). */
import { describe, expect, it } from 'vitest';
import { csvField, csvRow, eventMatches, type HistoryQuery } from '../../server/sessions/history.js';
import type { VigilEvent } from '../../shared/protocol.js';

const ev = (name: string, over: Partial<VigilEvent> = {}): VigilEvent => ({ id: '1-0', name, at: '2026-12-01T00:00:00.000Z', realm: 'default', sessionId: null, session: null, data: {}, ...over } as VigilEvent);
const q = (over: Partial<HistoryQuery> = {}): HistoryQuery => ({ admin: true, ...over });

describe('CSV fields', () => {
  it('quote commas, quotes and line breaks (RFC 4180), doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
  });

  it('defuse what a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField('-2')).toBe("'-2");
  });

  it('make one row per event, the data as JSON, ending in CRLF', () => {
    const row = csvRow(ev('login.failed', { data: { username: 'bob', ip: '127.0.0.1', reason: 'invalid_credentials' } }));
    expect(row).toBe('1-0,2026-12-01T00:00:00.000Z,default,login.failed,,bob,,,"{""username"":""bob"",""ip"":""127.0.0.1"",""reason"":""invalid_credentials""}"\r\n');
  });
});

describe('history filters', () => {
  it('hide the events about credentials from non-admins, by the hub\'s rule', () => {
    for (const name of ['login.failed', 'token.issued', 'action_token.used', 'mail.sent']) {
      expect(eventMatches(q({ admin: false }), ev(name))).toBe(false);
      expect(eventMatches(q(), ev(name))).toBe(true);
    }
    expect(eventMatches(q({ admin: false }), ev('login.succeeded'))).toBe(true);
  });

  it('match a name exactly, or a prefix ending in *', () => {
    expect(eventMatches(q({ name: 'session.*' }), ev('session.started'))).toBe(true);
    expect(eventMatches(q({ name: 'session.*' }), ev('login.succeeded'))).toBe(false);
    expect(eventMatches(q({ name: 'session.started' }), ev('session.started'))).toBe(true);
    expect(eventMatches(q({ name: 'session' }), ev('session.started'))).toBe(false);
    expect(eventMatches(q({ name: '*' }), ev('policy.updated'))).toBe(true);
  });
});

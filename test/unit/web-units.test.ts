/** The dashboard's pure form logic: durations in units, whole numbers, policy patches, end reasons. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../shared/policy.js';
import type { VigilEvent } from '../../shared/protocol.js';
import { parseWholeNumber, splitDuration, toSeconds } from '../../web/src/lib/units.js';
import { clonePolicy, lifespanExceedsIdle, policyPatch } from '../../web/src/lib/policy-form.js';
import { endCodeOf, endMessage } from '../../web/src/lib/session-end.js';
import { eventQuery } from '../../web/src/lib/event-query.js';

describe('duration units', () => {
  it('shows a duration in the largest unit that is exact', () => {
    expect(splitDuration(1800)).toEqual({ value: 30, unit: 'minutes' });
    expect(splitDuration(36000)).toEqual({ value: 10, unit: 'hours' });
    expect(splitDuration(2592000)).toEqual({ value: 30, unit: 'days' });
    expect(splitDuration(90)).toEqual({ value: 90, unit: 'seconds' });
    expect(splitDuration(0)).toEqual({ value: 0, unit: 'seconds' });
  });

  it('converts a value in a unit to whole seconds', () => {
    expect(toSeconds('30', 'minutes')).toBe(1800);
    expect(toSeconds('1.5', 'hours')).toBe(5400);
    expect(toSeconds(' 2 ', 'days')).toBe(172800);
  });

  it('refuses text that is not a whole number of seconds', () => {
    expect(toSeconds('1.5', 'seconds')).toBeNull();
    expect(toSeconds('', 'minutes')).toBeNull();
    expect(toSeconds('-1', 'minutes')).toBeNull();
    expect(toSeconds('1e3', 'seconds')).toBeNull();
  });

  it('parses whole numbers only', () => {
    expect(parseWholeNumber('30')).toBe(30);
    expect(parseWholeNumber('2147483')).toBe(2147483);
    expect(parseWholeNumber('29.5')).toBeNull();
    expect(parseWholeNumber('abc')).toBeNull();
    expect(parseWholeNumber('')).toBeNull();
  });
});

describe('the realm settings form', () => {
  it('sends only the fields that changed', () => {
    const next = clonePolicy(DEFAULT_POLICY);
    next.ssoSessionIdle = 900;
    next.userActionLifespanOverrides['verify-email'] = 600;
    expect(policyPatch(DEFAULT_POLICY, next)).toEqual({ ssoSessionIdle: 900, userActionLifespanOverrides: { 'verify-email': 600 } });
    expect(policyPatch(DEFAULT_POLICY, clonePolicy(DEFAULT_POLICY))).toEqual({});
  });

  it('warns when the access token lifespan exceeds SSO Session Idle', () => {
    expect(lifespanExceedsIdle(DEFAULT_POLICY)).toBe(false);
    expect(lifespanExceedsIdle({ ...DEFAULT_POLICY, accessTokenLifespan: 3600 })).toBe(true);
  });
});

describe('why a session ended', () => {
  const ev = (name: string, data: Record<string, unknown>) => ({ id: '1', name, at: '', realm: 'default', sessionId: 's', session: null, data }) as VigilEvent;

  it('maps final events to a code and a sentence', () => {
    expect(endCodeOf(ev('session.expired', { reason: 'idle' }))).toBe('expired');
    expect(endCodeOf(ev('session.expired', { reason: 'max' }))).toBe('expired-max');
    expect(endCodeOf(ev('session.terminated', { reason: 'admin' }))).toBe('terminated');
    expect(endCodeOf(ev('session.terminated', { reason: 'others' }))).toBe('terminated-others');
    expect(endCodeOf(ev('session.ended', { reason: 'logout' }))).toBe('logout');
    expect(endCodeOf(ev('session.terminated', { reason: 'session-limit' }))).toBe('session-limit');
    expect(endMessage('session-limit')).toMatch(/signed out because of the session limit/);
    expect(endMessage('terminated')).toContain('administrator');
    expect(endMessage('nonsense')).toContain('ended');
    expect(endMessage(null)).toBeNull();
  });
});

describe('the Events page\'s filters', () => {
  const none = { range: 'all' as const, from: '', to: '', name: '', user: '', sessionId: '' };

  it('turn a relative range into since, ending now', () => {
    const now = Date.parse('2026-12-01T12:00:00.000Z');
    expect(eventQuery({ ...none, range: '1h' }, now).get('since')).toBe('2026-12-01T11:00:00.000Z');
    expect(eventQuery({ ...none, range: '1h' }, now).has('until')).toBe(false);
    expect([...eventQuery(none, now).keys()]).toEqual([]);
  });

  it('send a custom range as since and until, and the other filters trimmed, leaving out empty ones', () => {
    const q = eventQuery({ ...none, range: 'custom', from: '2026-12-01T10:00:00Z', to: '2026-12-01T11:00:00Z', name: ' session.* ', user: 'alice', sessionId: '' });
    expect(Object.fromEntries(q)).toEqual({ since: '2026-12-01T10:00:00.000Z', until: '2026-12-01T11:00:00.000Z', name: 'session.*', user: 'alice' });
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, mergePolicy, tokenLifetimeProblem, POLICY_BOUNDS } from '../../shared/policy.js';

describe('realm policy validation', () => {
  it('has Keycloak\'s defaults', () => {
    expect(DEFAULT_POLICY).toMatchObject({
      ssoSessionIdle: 1800, ssoSessionMax: 36000, offlineSessionIdle: 2592000, offlineSessionMaxEnabled: false,
      offlineSessionMax: 5184000, accessTokenLifespan: 300, accessTokenLifespanImplicit: 900, clientLoginTimeout: 60,
      loginTimeout: 1800, loginActionTimeout: 300, revokeRefreshToken: false, refreshTokenMaxReuse: 0,
      userActionLifespan: 300, adminActionLifespan: 43200, expiryPromptSeconds: 30, defaultTokenLifetime: 300, consoleSessionMax: 2592000,
    });
  });

  it('accepts a valid patch and keeps the rest', () => {
    const r = mergePolicy(DEFAULT_POLICY, { ssoSessionIdle: 600, revokeRefreshToken: true });
    expect('policy' in r && r.policy).toMatchObject({ ssoSessionIdle: 600, revokeRefreshToken: true, ssoSessionMax: 36000 });
  });

  it.each(Object.entries(POLICY_BOUNDS))('names %s and its bounds when out of range', (field, b) => {
    const r = mergePolicy(DEFAULT_POLICY, { [field]: b.max + 1 });
    expect(r).toEqual({ problem: { field, message: `${field} must be an integer from ${b.min} to ${b.max}` } });
    expect(mergePolicy(DEFAULT_POLICY, { [field]: 1.5 })).toHaveProperty('problem.field', field);
  });

  it('requires the prompt to be shorter than every idle limit it applies to', () => {
    const r = mergePolicy(DEFAULT_POLICY, { ssoSessionIdle: 20, expiryPromptSeconds: 30 });
    expect(r).toHaveProperty('problem.field', 'expiryPromptSeconds');
  });

  it('refuses unknown fields, non-objects and unknown override operations', () => {
    expect(mergePolicy(DEFAULT_POLICY, { nope: 1 })).toHaveProperty('problem.message', 'nope is not a policy field');
    expect(mergePolicy(DEFAULT_POLICY, [])).toHaveProperty('problem.field', 'body');
    expect(mergePolicy(DEFAULT_POLICY, { userActionLifespanOverrides: { 'fly-away': 5 } })).toHaveProperty('problem.field', 'userActionLifespanOverrides.fly-away');
  });

  it('refuses names every object inherits, such as toString and __proto__', () => {
    for (const field of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      const patch = JSON.parse(`{"${field}": 1}`);
      expect(mergePolicy(DEFAULT_POLICY, patch)).toHaveProperty('problem.message', `${field} is not a policy field`);
    }
  });
});

describe('token lifetime', () => {
  it.each([[29, false], [30, true], [2147482, true], [2147483, false], [30.5, false], [-1, false], [null, false], ['300', false]])('%s valid: %s', (v, ok) => {
    expect(tokenLifetimeProblem(v) === null).toBe(ok);
  });
  it('states the bounds', () => {
    expect(tokenLifetimeProblem(29)).toBe('tokenLifetime must be an integer from 30 to 2147482 seconds');
  });
});

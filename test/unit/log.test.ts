import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../server/log.js';

describe('redactUrl', () => {
  it('hides the values of secret query parameters and keeps the rest readable', () => {
    expect(redactUrl('/realms/default/protocol/openid-connect/logout?id_token_hint=eyJa.b.c&post_logout_redirect_uri=https%3A%2F%2Fapp&state=s1'))
      .toBe('/realms/default/protocol/openid-connect/logout?id_token_hint=[REDACTED]&post_logout_redirect_uri=https%3A%2F%2Fapp&state=s1');
    expect(redactUrl('/cb?state=x&code=abc&session_state=s_1')).toBe('/cb?state=x&code=[REDACTED]&session_state=s_1');
    expect(redactUrl('/t?Password=hunter2&CLIENT_SECRET=s&access_token=a&refresh_token=r&token=t&key=k')).toBe(
      '/t?Password=[REDACTED]&CLIENT_SECRET=[REDACTED]&access_token=[REDACTED]&refresh_token=[REDACTED]&token=[REDACTED]&key=[REDACTED]',
    );
  });

  it('leaves parameters that only begin like a secret one alone', () => {
    expect(redactUrl('/auth?code_challenge=abc&code_challenge_method=S256&token_type_hint=access_token')).toBe('/auth?code_challenge=abc&code_challenge_method=S256&token_type_hint=access_token');
    expect(redactUrl('/me')).toBe('/me');
  });
});

/**
 * OIDC Back-Channel Logout 1.0 logout tokens: a JWT signed with the realm's OIDC signing key
 * (the one its ID tokens are signed with, so the client verifies it against the same JWKS),
 * `typ: logout+jwt` (§2.4), with iss, aud (the client), iat, exp, jti, sub, sid and the
 * back-channel logout event — and never a nonce (§2.4: a logout token with one is refused).
 */
import type { OidcService } from '../oidc/service.js';
import { newJti } from '../oidc/tokens.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token is good for this long: long enough for a slow receiver, short enough not to be replayed later. */
const LOGOUT_TOKEN_SECONDS = 120;

export class LogoutTokens {
  constructor(private readonly oidc: OidcService, private readonly issuer: (realm: string) => string) {}

  /** The client's back-channel logout URL, or null when it has none (or is gone). */
  async urlOf(realm: string, clientId: string): Promise<string | null> {
    return (await this.oidc.clients.get(realm, clientId))?.backchannelLogoutUrl ?? null;
  }

  async sign(realm: string, clientId: string, sub: string, sid: string): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    return this.oidc.tokens.signEs(realm, {
      iss: this.issuer(realm), aud: clientId, iat, exp: iat + LOGOUT_TOKEN_SECONDS, jti: newJti(), sub, sid,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    }, 'logout+jwt');
  }
}

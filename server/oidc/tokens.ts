/**
 * Token formats (all JWTs, so that Keycloak's adapters can decode every one of them):
 *  - access token: ES256, typ "Bearer", `sid` = the Vigil session id, `jti` (revocable), exp =
 *    min(now + lifespan, session max);
 *  - ID token: ES256, typ "ID", `nonce` from the authorization request, `at_hash`;
 *  - refresh token: HS256 with the realm's secret, typ "Refresh" or "Offline", `sid`, `azp`
 *    and `gen` — its generation in the client session, which is what reuse detection counts;
 *    exp = min(idle deadline, session max).
 * The claims are signed, so the server needs no per-token record: a refresh token is good while
 * its session and client session live (Redis), and its generation passes the reuse rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { SigningKeys } from './signing.js';
import { SIGNING_ALG } from './signing.js';

export interface AccessClaims extends JWTPayload {
  typ: 'Bearer';
  azp: string;
  sid?: string;
  scope: string;
  preferred_username?: string;
}

export interface RefreshClaims extends JWTPayload {
  typ: 'Refresh' | 'Offline';
  azp: string;
  sid: string;
  gen: number;
  scope: string;
}

export interface IdClaims extends JWTPayload {
  typ: 'ID';
  azp: string;
  sid: string;
  nonce?: string;
}

export const newJti = (): string => randomBytes(16).toString('base64url');

/** OIDC at_hash: the left half of SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

export class OidcTokens {
  constructor(private readonly signing: SigningKeys) {}

  async signEs(realm: string, claims: JWTPayload, typ = 'JWT'): Promise<string> {
    const k = await this.signing.get(realm);
    return new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALG, typ, kid: k.kid }).sign(k.privateKey);
  }

  async signRefresh(realm: string, claims: RefreshClaims): Promise<string> {
    const k = await this.signing.get(realm);
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(k.hmac);
  }

  /** Verifies an ES256 token of this realm (signature, issuer suffix, expiry unless allowed). */
  async verifyEs<T extends JWTPayload>(realm: string, token: string, opts: { allowExpired?: boolean } = {}): Promise<T | null> {
    try {
      const { kid, alg } = decodeProtectedHeader(token);
      if (alg !== SIGNING_ALG || typeof kid !== 'string') return null;
      const key = await this.signing.publicKey(realm, kid);
      if (!key) return null;
      const { payload } = await jwtVerify<T>(token, key, { algorithms: [SIGNING_ALG], ...(opts.allowExpired ? { currentDate: new Date(0) } : {}) });
      if (typeof payload.iss !== 'string' || !payload.iss.endsWith(`/realms/${realm}`)) return null;
      return payload;
    } catch {
      return null;
    }
  }

  async verifyRefresh(realm: string, token: string): Promise<RefreshClaims | null> {
    try {
      const k = await this.signing.get(realm);
      const { payload } = await jwtVerify<RefreshClaims>(token, k.hmac, { algorithms: ['HS256'] });
      if ((payload.typ !== 'Refresh' && payload.typ !== 'Offline') || typeof payload.sid !== 'string' || typeof payload.azp !== 'string' || !Number.isInteger(payload.gen)) return null;
      if (typeof payload.iss !== 'string' || !payload.iss.endsWith(`/realms/${realm}`)) return null;
      return payload;
    } catch {
      return null;
    }
  }
}

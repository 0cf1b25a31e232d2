/**
 * Token formats (all JWTs, so that Keycloak's adapters can decode every one of them):
 *  - access token: ES256, typ "Bearer", `sid` = the Vigil session id, `jti` (revocable), exp =
 *    min(now + lifespan, session max);
 *  - ID token: ES256, typ "ID", `nonce` from the authorization request, `at_hash` when issued
 *    beside an access token by the authorization endpoint (implicit);
 *  - refresh token: HS256 with the realm's secret, typ "Refresh" or "Offline", `sid`, `azp`
 *    and `gen` — its generation in the client session, which is what reuse detection counts;
 *    exp = min(idle deadline, session max).
 * The claims are signed, so the server needs no per-token record: a refresh token is good while
 * its session and client session live (Redis), and its generation passes the reuse rules.
 *
 * Compact JWS is built and checked here with node:crypto synchronously (a P-256 signature is
 * ~0.15 ms): WebCrypto's async jobs cost a libuv-threadpool round trip per token, which under
 * load was most of a refresh's latency. Relying parties verify these tokens with `jose`.
 */
import { createHash, createHmac, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import type { JWTPayload } from 'jose';
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

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

interface Parts {
  header: { alg?: string; kid?: string; typ?: string };
  payload: JWTPayload;
  signingInput: string;
  signature: Buffer;
}

function split(token: string): Parts | null {
  const p = token.split('.');
  if (p.length !== 3 || token.length > 8192) return null;
  try {
    const header = JSON.parse(Buffer.from(p[0]!, 'base64url').toString()) as Parts['header'];
    const payload = JSON.parse(Buffer.from(p[1]!, 'base64url').toString()) as JWTPayload;
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object' || Array.isArray(payload)) return null;
    return { header, payload, signingInput: `${p[0]}.${p[1]}`, signature: Buffer.from(p[2]!, 'base64url') };
  } catch {
    return null;
  }
}

function timeValid(payload: JWTPayload, allowExpired: boolean): boolean {
  if (typeof payload.exp !== 'number') return false;
  if (!allowExpired && payload.exp <= Math.floor(Date.now() / 1000)) return false;
  if (typeof payload.nbf === 'number' && payload.nbf > Math.floor(Date.now() / 1000) + 60) return false;
  return true;
}

export class OidcTokens {
  constructor(private readonly signing: SigningKeys) {}

  async signEs(realm: string, claims: JWTPayload, typ = 'JWT'): Promise<string> {
    const k = await this.signing.get(realm);
    const input = `${b64({ alg: SIGNING_ALG, typ, kid: k.kid })}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: k.privateKeyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }

  async signRefresh(realm: string, claims: RefreshClaims): Promise<string> {
    const k = await this.signing.get(realm);
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${input}.${createHmac('sha256', k.hmac).update(input).digest('base64url')}`;
  }

  /**
   * Verifies an ES256 token of this realm (signature by a live key, issuer suffix, expiry unless
   * allowed), and that its key has not been retired (one HEXISTS in Redis).
   */
  async verifyEs<T extends JWTPayload>(realm: string, token: string, opts: { allowExpired?: boolean } = {}): Promise<T | null> {
    const v = await this.verifyEsSignature<T>(realm, token, opts);
    if (!v || !(await this.signing.published(realm, v.kid))) return null;
    return v.claims;
  }

  /**
   * verifyEs without the Redis check of the key: the caller must make it (`signing.published`,
   * or its command in a pipeline it sends anyway) before trusting the claims.
   */
  async verifyEsSignature<T extends JWTPayload>(realm: string, token: string, opts: { allowExpired?: boolean } = {}): Promise<{ claims: T; kid: string } | null> {
    const parts = split(token);
    if (!parts || parts.header.alg !== SIGNING_ALG || typeof parts.header.kid !== 'string') return null;
    const kid = parts.header.kid;
    if (!(await this.signing.publicKey(realm, kid))) return null;
    const key = await this.signing.publicKeyObject(realm, kid);
    if (!key || parts.signature.length !== 64) return null;
    if (!verify('sha256', Buffer.from(parts.signingInput), { key, dsaEncoding: 'ieee-p1363' }, parts.signature)) return null;
    const payload = parts.payload as T;
    if (!timeValid(payload, Boolean(opts.allowExpired))) return null;
    if (typeof payload.iss !== 'string' || !payload.iss.endsWith(`/realms/${realm}`)) return null;
    return { claims: payload, kid };
  }

  async verifyRefresh(realm: string, token: string): Promise<RefreshClaims | null> {
    const parts = split(token);
    if (!parts || parts.header.alg !== 'HS256') return null;
    const k = await this.signing.get(realm);
    const expected = createHmac('sha256', k.hmac).update(parts.signingInput).digest();
    if (expected.length !== parts.signature.length || !timingSafeEqual(expected, parts.signature)) return null;
    const payload = parts.payload as RefreshClaims;
    if (!timeValid(payload, false)) return null;
    if ((payload.typ !== 'Refresh' && payload.typ !== 'Offline') || typeof payload.sid !== 'string' || typeof payload.azp !== 'string' || !Number.isInteger(payload.gen)) return null;
    if (typeof payload.iss !== 'string' || !payload.iss.endsWith(`/realms/${realm}`)) return null;
    if (typeof payload.scope !== 'string') return null;
    return payload;
  }
}

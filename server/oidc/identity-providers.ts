/**
 * Identity brokering (Keycloak's identity providers): a realm may let its users sign in through
 * an upstream OpenID Connect provider — any issuer, another Vigil realm among them. This is
 * the store of the providers and the relying-party side of the code flow: discovery, the
 * authorization URL (PKCE S256, state, nonce), the code exchange (client_secret_basic) and the
 * ID token's verification against the upstream's JWKS (issuer, audience, nonce, expiry).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { vigilError } from '../errors.js';

import { ALIAS, ALIAS_RULE, type IdentityProvider } from '../../shared/identity-providers.js';

export { ALIAS, ALIAS_RULE, type IdentityProvider };

interface Stored extends IdentityProvider {
  clientSecret: string;
}

export interface IdentityProviderInput {
  alias: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  displayName?: string;
}

export type IdentityProviderPatch = Partial<Omit<IdentityProviderInput, 'alias'>>;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

export interface UpstreamIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  preferredUsername: string | null;
}

const DISCOVERY_TTL_MS = 5 * 60_000;

function checkIssuer(issuer: string): string {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw vigilError('VIGIL_ERR_VALIDATION', 'issuer must be an http:// or https:// URL without query or fragment');
  }
  if (!/^https?:$/.test(u.protocol) || u.search || u.hash) throw vigilError('VIGIL_ERR_VALIDATION', 'issuer must be an http:// or https:// URL without query or fragment');
  return issuer.replace(/\/+$/, '');
}

export class IdentityProviderStore {
  private readonly discovery = new Map<string, { at: number; d: Discovery }>();
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  private async stored(realm: string, alias: string): Promise<Stored | null> {
    if (!ALIAS.test(alias)) return null;
    const h = await this.redis.hgetall(this.keys.identityProvider(realm, alias));
    if (!h.alias) return null;
    return { alias: h.alias, displayName: h.displayName || h.alias, issuer: h.issuer!, clientId: h.clientId!, clientSecret: h.clientSecret!, createdAt: new Date(Number(h.createdAt)).toISOString() };
  }

  private static public(s: Stored): IdentityProvider {
    const { clientSecret: _omit, ...rest } = s;
    return rest;
  }

  async create(realm: string, input: IdentityProviderInput): Promise<IdentityProvider> {
    if (!ALIAS.test(input.alias)) throw vigilError('VIGIL_ERR_VALIDATION', `alias must be ${ALIAS_RULE}`);
    const issuer = checkIssuer(input.issuer);
    if (!(await this.redis.sadd(this.keys.identityProviders(realm), input.alias))) throw vigilError('VIGIL_ERR_CONFLICT', `identity provider ${input.alias} already exists`);
    await this.redis.hset(this.keys.identityProvider(realm, input.alias), {
      alias: input.alias, displayName: input.displayName ?? '', issuer, clientId: input.clientId, clientSecret: input.clientSecret, createdAt: String(Date.now()),
    });
    return IdentityProviderStore.public((await this.stored(realm, input.alias))!);
  }

  /** Changes what is given; a secret left out is kept. Null when there is no such provider. */
  async update(realm: string, alias: string, patch: IdentityProviderPatch): Promise<IdentityProvider | null> {
    if (!(await this.stored(realm, alias))) return null;
    const fields: Record<string, string> = {};
    if (patch.issuer !== undefined) fields.issuer = checkIssuer(patch.issuer);
    if (patch.clientId !== undefined) fields.clientId = patch.clientId;
    if (patch.clientSecret !== undefined) fields.clientSecret = patch.clientSecret;
    if (patch.displayName !== undefined) fields.displayName = patch.displayName;
    if (Object.keys(fields).length) await this.redis.hset(this.keys.identityProvider(realm, alias), fields);
    const s = await this.stored(realm, alias);
    return s ? IdentityProviderStore.public(s) : null;
  }

  async get(realm: string, alias: string): Promise<IdentityProvider | null> {
    const s = await this.stored(realm, alias);
    return s ? IdentityProviderStore.public(s) : null;
  }

  async list(realm: string): Promise<IdentityProvider[]> {
    const aliases = (await this.redis.smembers(this.keys.identityProviders(realm))).sort();
    const out: IdentityProvider[] = [];
    for (const a of aliases) {
      const s = await this.stored(realm, a);
      if (s) out.push(IdentityProviderStore.public(s));
    }
    return out;
  }

  async remove(realm: string, alias: string): Promise<boolean> {
    if (!ALIAS.test(alias)) return false;
    const [[, n]] = (await this.redis.multi().srem(this.keys.identityProviders(realm), alias).del(this.keys.identityProvider(realm, alias)).exec()) as [[null, number]];
    return n > 0;
  }

  private async discover(issuer: string): Promise<Discovery> {
    const hit = this.discovery.get(issuer);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.d;
    const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`discovery of ${issuer} answered ${res.status}`);
    const d = (await res.json()) as Discovery;
    if (d.issuer !== issuer) throw new Error(`discovery of ${issuer} names another issuer (${d.issuer})`);
    this.discovery.set(issuer, { at: Date.now(), d });
    return d;
  }

  /** Where to send the browser, and what the callback must check (kept by the caller under `state`). */
  async authorizationUrl(realm: string, alias: string, redirectUri: string): Promise<{ url: string; state: string; verifier: string; nonce: string } | null> {
    const p = await this.stored(realm, alias);
    if (!p) return null;
    const d = await this.discover(p.issuer);
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const u = new URL(d.authorization_endpoint);
    for (const [k, v] of Object.entries({ client_id: p.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email profile', state, nonce, code_challenge: challenge, code_challenge_method: 'S256' })) u.searchParams.set(k, v);
    return { url: u.toString(), state, verifier, nonce };
  }

  /** Redeems the upstream's code and verifies its ID token; returns who signed in there. */
  async redeem(realm: string, alias: string, code: string, redirectUri: string, verifier: string, nonce: string): Promise<UpstreamIdentity> {
    const p = await this.stored(realm, alias);
    if (!p) throw new Error(`no identity provider ${alias}`);
    const d = await this.discover(p.issuer);
    const res = await fetch(d.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(p.clientId)}:${encodeURIComponent(p.clientSecret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
    if (!res.ok || !body.id_token) throw new Error(`the token endpoint of ${p.issuer} refused the code: ${body.error ?? res.status} ${body.error_description ?? ''}`.trim());
    let jwks = this.jwks.get(d.jwks_uri);
    if (!jwks) this.jwks.set(d.jwks_uri, (jwks = createRemoteJWKSet(new URL(d.jwks_uri))));
    const { payload } = await jwtVerify(body.id_token, jwks, { issuer: p.issuer, audience: p.clientId });
    const c = payload as JWTPayload & { nonce?: string; email?: string; email_verified?: boolean; preferred_username?: string };
    if (c.nonce !== nonce) throw new Error('the ID token\'s nonce does not match');
    if (!c.sub) throw new Error('the ID token has no subject');
    return { subject: c.sub, email: typeof c.email === 'string' ? c.email : null, emailVerified: c.email_verified === true, preferredUsername: typeof c.preferred_username === 'string' ? c.preferred_username : null };
  }
}

/**
 * OIDC clients of a realm: a hash per client and a set of client ids. A confidential
 * client's secret is shown once at creation and stored only as its SHA-256 (it is 256 random
 * bits, so a fast hash is enough; argon2 is for human passwords).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { vigilError } from '../errors.js';
import { hashToken, newToken } from '../sessions/tokens.js';
import { iso } from '../sessions/format.js';
import { ROLES, type Role } from '../../shared/protocol.js';
import { destinationProblem } from '../outbound/ssrf.js';

export const CLIENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const LIFESPAN_MAX = 2147483647;

export interface OidcClient {
  clientId: string;
  name: string;
  publicClient: boolean;
  redirectUris: string[];
  standardFlowEnabled: boolean;
  implicitFlowEnabled: boolean;
  directAccessGrantsEnabled: boolean;
  /** Seconds; null: the realm's Access Token Lifespan. */
  accessTokenLifespan: number | null;
  /**
   * The roles this client's access tokens may use on Vigil's own API (RFC 9700 §2.3): a token
   * acts with the strongest role its user holds among these, and with none (only as its own
   * session: me, activity, extend, logout, the `self` topic) when the list is empty (the default).
   */
  apiRoles: Role[];
  /** May introspect tokens issued to other clients (RFC 7662 §4: a resource server); default false. */
  introspection: boolean;
  /**
   * OIDC Back-Channel Logout 1.0: where a signed logout token is POSTed when a session this
   * client took part in ends (server/outbound); null: none.
   */
  backchannelLogoutUrl: string | null;
  createdAt: string;
}

interface Stored extends OidcClient {
  secretHash: string;
}

const BOOLEAN_FIELDS = ['publicClient', 'standardFlowEnabled', 'implicitFlowEnabled', 'directAccessGrantsEnabled', 'introspection'] as const;
const FIELDS = ['clientId', 'name', 'redirectUris', 'accessTokenLifespan', 'apiRoles', 'backchannelLogoutUrl', ...BOOLEAN_FIELDS] as const;

function parseRoles(raw: string | undefined): Role[] {
  try {
    const v = JSON.parse(raw ?? '[]') as unknown;
    return Array.isArray(v) ? ROLES.filter((r) => v.includes(r)) : [];
  } catch {
    return [];
  }
}

function parse(h: Record<string, string>): Stored | null {
  if (!h.clientId) return null;
  return {
    clientId: h.clientId,
    name: h.name ?? '',
    publicClient: h.publicClient === 'true',
    redirectUris: JSON.parse(h.redirectUris ?? '[]') as string[],
    standardFlowEnabled: h.standardFlowEnabled !== 'false',
    implicitFlowEnabled: h.implicitFlowEnabled === 'true',
    directAccessGrantsEnabled: h.directAccessGrantsEnabled === 'true',
    accessTokenLifespan: h.accessTokenLifespan ? Number(h.accessTokenLifespan) : null,
    // absent in clients made before the field existed: no API roles, no introspection of others' tokens
    apiRoles: parseRoles(h.apiRoles),
    introspection: h.introspection === 'true',
    backchannelLogoutUrl: h.backchannelLogoutUrl || null,
    createdAt: iso(h.createdAt),
    secretHash: h.secretHash ?? '',
  };
}

function publicView(c: Stored): OidcClient {
  const { secretHash: _omit, ...rest } = c;
  return rest;
}

/** Redirect URIs are matched exactly (no wildcards): absolute, no fragment, http(s) or a custom scheme. */
function checkRedirectUris(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > 50) throw vigilError('VIGIL_ERR_VALIDATION', 'redirectUris must be an array of at most 50 absolute URIs');
  for (const u of v) {
    let url: URL | null = null;
    try {
      url = typeof u === 'string' && u.length <= 2000 ? new URL(u) : null;
    } catch {
      url = null;
    }
    if (!url || url.hash || u.includes('*')) {
      throw vigilError('VIGIL_ERR_VALIDATION', `redirectUris entries must be absolute URIs without a fragment or wildcard; ${JSON.stringify(u)} is not`);
    }
  }
  return [...new Set(v as string[])];
}

function checkInput(body: Record<string, unknown>, creating: boolean, allowPrivate: boolean): Record<string, string> {
  const set: Record<string, string> = {};
  for (const k of Object.keys(body)) {
    if (!(FIELDS as readonly string[]).includes(k)) throw vigilError('VIGIL_ERR_VALIDATION', `${k} is not a client field; expected ${FIELDS.join(', ')}`);
  }
  if (creating) {
    if (typeof body.clientId !== 'string' || !CLIENT_ID.test(body.clientId)) {
      throw vigilError('VIGIL_ERR_VALIDATION', 'clientId must be 1 to 100 letters, digits, or . _ : -');
    }
    set.clientId = body.clientId;
  } else if (body.clientId !== undefined) {
    throw vigilError('VIGIL_ERR_VALIDATION', 'clientId cannot be changed');
  }
  if (body.name !== undefined) {
    if (typeof body.name !== 'string' || body.name.length > 200) throw vigilError('VIGIL_ERR_VALIDATION', 'name must be a string of at most 200 characters');
    set.name = body.name;
  }
  if (body.redirectUris !== undefined) set.redirectUris = JSON.stringify(checkRedirectUris(body.redirectUris));
  for (const f of BOOLEAN_FIELDS) {
    if (body[f] === undefined) continue;
    if (typeof body[f] !== 'boolean') throw vigilError('VIGIL_ERR_VALIDATION', `${f} must be true or false`);
    set[f] = String(body[f]);
  }
  if (body.accessTokenLifespan !== undefined) {
    const v = body.accessTokenLifespan;
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > LIFESPAN_MAX)) {
      throw vigilError('VIGIL_ERR_VALIDATION', `accessTokenLifespan must be null or an integer from 1 to ${LIFESPAN_MAX}`);
    }
    set.accessTokenLifespan = v === null ? '' : String(v);
  }
  if (body.apiRoles !== undefined) {
    const v = body.apiRoles;
    if (!Array.isArray(v) || v.some((r) => typeof r !== 'string' || !(ROLES as readonly string[]).includes(r))) {
      throw vigilError('VIGIL_ERR_VALIDATION', `apiRoles must be an array of roles among ${ROLES.join(', ')}`);
    }
    set.apiRoles = JSON.stringify(ROLES.filter((r) => v.includes(r)));
  }
  if (body.backchannelLogoutUrl !== undefined) {
    const v = body.backchannelLogoutUrl;
    // the same destination rules as webhooks: no literal private or loopback address (SSRF)
    const problem = v === null ? null : typeof v !== 'string' || v.length > 2000 ? 'must be a URL of at most 2000 characters, or null' : destinationProblem(v, allowPrivate);
    if (problem) throw vigilError('VIGIL_ERR_VALIDATION', `backchannelLogoutUrl ${problem}`);
    set.backchannelLogoutUrl = v === null ? '' : String(v);
  }
  return set;
}

export class ClientStore {
  /** `allowPrivate`: VIGIL_WEBHOOK_ALLOW_PRIVATE, for backchannelLogoutUrl. */
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys, private readonly allowPrivate = false) {}

  private async stored(realm: string, clientId: string): Promise<Stored | null> {
    if (!CLIENT_ID.test(clientId)) return null;
    return parse(await this.redis.hgetall(this.keys.oidcClient(realm, clientId)));
  }

  async get(realm: string, clientId: string): Promise<OidcClient | null> {
    const c = await this.stored(realm, clientId);
    return c ? publicView(c) : null;
  }

  async list(realm: string): Promise<OidcClient[]> {
    const ids = (await this.redis.smembers(this.keys.oidcClients(realm))).sort();
    const out: OidcClient[] = [];
    for (const id of ids) {
      const c = await this.get(realm, id);
      if (c) out.push(c);
    }
    return out;
  }

  /** Creates a client; a confidential one gets a secret, returned here and never again. */
  async create(realm: string, body: Record<string, unknown>): Promise<{ client: OidcClient; secret: string | null }> {
    const set = checkInput(body, true, this.allowPrivate);
    set.publicClient ??= 'false';
    set.standardFlowEnabled ??= 'true';
    set.implicitFlowEnabled ??= 'false';
    set.directAccessGrantsEnabled ??= 'false';
    set.introspection ??= 'false';
    set.apiRoles ??= '[]';
    set.redirectUris ??= '[]';
    set.createdAt = String(Date.now());
    let secret: string | null = null;
    if (set.publicClient === 'false') {
      secret = newToken('');
      set.secretHash = hashToken(secret);
    }
    const key = this.keys.oidcClient(realm, set.clientId!);
    const fresh = await this.redis.hsetnx(key, 'clientId', set.clientId!);
    if (!fresh) throw vigilError('VIGIL_ERR_CONFLICT', `client ${set.clientId} already exists`);
    await this.redis.multi().hset(key, set).sadd(this.keys.oidcClients(realm), set.clientId!).exec();
    return { client: (await this.get(realm, set.clientId!))!, secret };
  }

  async patch(realm: string, clientId: string, body: Record<string, unknown>): Promise<{ client: OidcClient; secret: string | null }> {
    const before = await this.stored(realm, clientId);
    if (!before) throw vigilError('VIGIL_ERR_NOT_FOUND', `no client ${clientId} in realm ${realm}`);
    const set = checkInput(body, false, this.allowPrivate);
    let secret: string | null = null;
    // turning a public client confidential gives it its first secret, shown once as at creation
    if (set.publicClient === 'false' && !before.secretHash) {
      secret = newToken('');
      set.secretHash = hashToken(secret);
    }
    if (Object.keys(set).length) await this.redis.hset(this.keys.oidcClient(realm, clientId), set);
    return { client: (await this.get(realm, clientId))!, secret };
  }

  async remove(realm: string, clientId: string): Promise<boolean> {
    if (!CLIENT_ID.test(clientId)) return false;
    const [[, n]] = ((await this.redis.multi().del(this.keys.oidcClient(realm, clientId)).srem(this.keys.oidcClients(realm), clientId).exec()) ?? [[null, 0]]) as Array<[unknown, number]>;
    return Number(n) === 1;
  }

  /** Checks a confidential client's secret in constant time. */
  async verifySecret(realm: string, clientId: string, secret: string): Promise<OidcClient | null> {
    const c = await this.stored(realm, clientId);
    if (!c || !c.secretHash || c.publicClient) return null;
    // compared as strings of whatever encoding hashToken uses (it changed from hex to base64url once:
    // decoding with the wrong one made every hash empty and equal)
    const a = Buffer.from(hashToken(secret), 'utf8');
    const b = Buffer.from(c.secretHash, 'utf8');
    return a.length > 0 && a.length === b.length && timingSafeEqual(a, b) ? publicView(c) : null;
  }
}

/**
 * Action tokens (Keycloak's): the key of an e-mailed link that lets its user do named actions
 * — set a new password, confirm their e-mail address — without signing in.
 *
 * A token is `<claims>.<mac>`, both base64url: the claims (JSON: id, realm, user, operation,
 * actions, expiry in ms, the address it was sent to, the client and redirect) and their
 * HMAC-SHA256 under the realm's secret, which is made on first use and never leaves Redis and
 * this process. Nothing else is stored per token but two marks: the newest token of each
 * operation for each user (so a newer link supersedes an older one), and, once used, a used
 * mark — set atomically with the supersede check by consume-action-token-2.lua and kept as
 * long as the token could still be presented.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { ActionTokenResult } from '../redis/results.js';
import { newId } from '../sessions/tokens.js';
import type { ActionTokenOperation } from '../../shared/policy.js';

/** The actions an admin may send (execute-actions-email). */
export const ACTIONS = ['UPDATE_PASSWORD', 'VERIFY_EMAIL'] as const;
export type Action = (typeof ACTIONS)[number];
/** Every action a link may carry: LINK_IDP (idp-verify-account-via-email) links an upstream identity. */
export type TokenAction = Action | 'LINK_IDP';

export interface ActionTokenClaims {
  /** The token's id. */
  jti: string;
  realm: string;
  /** The user's id. */
  sub: string;
  op: ActionTokenOperation;
  act: TokenAction[];
  /** Issued at, ms since the epoch. */
  iat: number;
  /** Works while now < exp (ms since the epoch). */
  exp: number;
  /** The address the link was sent to: VERIFY_EMAIL confirms this one and no other. */
  email: string;
  clientId?: string;
  redirectUri?: string;
  /** For LINK_IDP: the upstream identity to link (provider alias and display name, its subject). */
  idp?: { alias: string; name: string; sub: string };
}

/**
 * Why a link is refused: the contract's reasons (`expired`, `used`, `invalid`); `invalid` comes
 * with a detail: `tampered` (not a token this realm signed), `superseded` (a newer link of the
 * operation was sent), `account` (the user is gone, disabled, or the address changed).
 */
export type Rejection =
  | { reason: 'expired' | 'used'; claims: ActionTokenClaims }
  | { reason: 'invalid'; detail: 'superseded' | 'account'; claims: ActionTokenClaims }
  | { reason: 'invalid'; detail: 'tampered'; claims: null };

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class ActionTokens {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  private async secret(realm: string): Promise<Buffer> {
    const key = this.keys.actionTokenSecret(realm);
    let s = await this.redis.get(key);
    if (!s) {
      await this.redis.set(key, randomBytes(32).toString('base64url'), 'NX');
      s = (await this.redis.get(key))!;
    }
    return Buffer.from(s, 'base64url');
  }

  /** Signs a new token and makes it the newest of its operation for its user (superseding any older one). */
  async issue(claims: Omit<ActionTokenClaims, 'jti' | 'iat' | 'exp'>, lifespanSeconds: number): Promise<{ token: string; claims: ActionTokenClaims }> {
    const iat = Date.now();
    const full: ActionTokenClaims = { ...claims, jti: newId('', 16), iat, exp: iat + lifespanSeconds * 1000 };
    const body = b64(JSON.stringify(full));
    const mac = createHmac('sha256', await this.secret(claims.realm)).update(body).digest();
    await this.redis.set(this.keys.actionTokenLatest(claims.realm, claims.sub, claims.op), full.jti, 'PX', lifespanSeconds * 1000);
    return { token: `${body}.${b64(mac)}`, claims: full };
  }

  /** The claims of an authentic token of this realm, or null. */
  private async authentic(realm: string, token: string): Promise<ActionTokenClaims | null> {
    const m = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const want = createHmac('sha256', await this.secret(realm)).update(m[1]!).digest();
    const got = Buffer.from(m[2]!, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    try {
      const c = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as ActionTokenClaims;
      return c.realm === realm ? c : null;
    } catch {
      return null;
    }
  }

  /** Checks a token without using it up: its claims, or why it is refused. */
  async check(realm: string, token: string): Promise<{ claims: ActionTokenClaims } | Rejection> {
    const claims = await this.authentic(realm, token);
    if (!claims) return { reason: 'invalid', detail: 'tampered', claims: null };
    if (Date.now() >= claims.exp) return { reason: 'expired', claims };
    const [used, latest] = await Promise.all([
      this.redis.exists(this.keys.actionTokenUsed(realm, claims.jti)),
      this.redis.get(this.keys.actionTokenLatest(realm, claims.sub, claims.op)),
    ]);
    if (used) return { reason: 'used', claims };
    if (latest !== claims.jti) return { reason: 'invalid', detail: 'superseded', claims };
    return { claims };
  }

  /** Uses a checked token up, atomically: null when done, else why not (used meanwhile, superseded, expired). */
  async consume(claims: ActionTokenClaims): Promise<Rejection | null> {
    const left = claims.exp - Date.now();
    if (left <= 0) return { reason: 'expired', claims };
    const r = Number(await this.redis.consumeActionToken(...this.keys.script.consumeActionToken(claims.realm, claims.jti, claims.sub, claims.op), claims.jti, left));
    if (r === ActionTokenResult.Ok) return null;
    if (r === ActionTokenResult.Used) return { reason: 'used', claims };
    return { reason: 'invalid', detail: 'superseded', claims };
  }
}

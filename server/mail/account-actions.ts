/**
 * The e-mailed account actions: what an admin sends (execute-actions, verify-email), what a user
 * asks for (reset-credentials), and what opening the link does. Lifespans follow the contract
 * (Keycloak's rules): user-initiated = `userActionLifespanOverrides[operation]` ?? `userActionLifespan`;
 * admin execute-actions = the send's `lifespan` ?? `adminActionLifespan` (the `execute-actions`
 * override is Keycloak's for user-initiated execute-actions, which Vigil has none of, so an
 * admin's send does not read it); an admin's send-verify-email = its `lifespan` ?? the
 * user-initiated rule for `verify-email` (Keycloak's `sendVerifyEmail`).
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import type { SessionEngine } from '../sessions/engine.js';
import type { RealmStore } from '../realms/store.js';
import type { StoredUser, UserStore } from '../users/store.js';
import type { ClientStore } from '../oidc/clients.js';
import { vigilError } from '../errors.js';
import type { ActionTokenOperation, RealmPolicy } from '../../shared/policy.js';
import { ActionTokens, type Action, type ActionTokenClaims, type Rejection, type TokenAction } from './action-tokens.js';
import { actionMail } from './messages.js';
import type { MailService } from './service.js';

/** Reset links one user may be sent per hour (the contract's bound). */
export const RESET_LINKS_PER_HOUR = 5;
/** Reset requests one client address may make per RESET_WINDOW_MS. */
export const RESET_REQUESTS_PER_ADDRESS = 30;
const RESET_WINDOW_MS = 15 * 60_000;
const HOUR_MS = 3600_000;

export interface SendOptions {
  lifespan?: number;
  clientId?: string;
  redirectUri?: string;
  /** The admin sending it. */
  by?: string;
}

/** The user-initiated lifespan of an operation. */
export function userLifespan(policy: RealmPolicy, op: ActionTokenOperation): number {
  return policy.userActionLifespanOverrides[op] ?? policy.userActionLifespan;
}

export class AccountActions {
  readonly tokens: ActionTokens;

  constructor(private readonly s: {
    redis: ScriptedRedis; keys: Keys; engine: SessionEngine; realms: RealmStore; users: UserStore; clients: ClientStore; mail: MailService; publicUrl: () => string;
  }) {
    this.tokens = new ActionTokens(s.redis, s.keys);
  }

  /** The page a link opens. */
  linkPath(realm: string): string {
    return `/realms/${encodeURIComponent(realm)}/login-actions/action-token`;
  }

  /** The forgot-password form. */
  resetPath(realm: string): string {
    return `/realms/${encodeURIComponent(realm)}/login-actions/reset-credentials`;
  }

  private async checkRedirect(realm: string, o: SendOptions): Promise<void> {
    if (o.redirectUri === undefined && o.clientId === undefined) return;
    if (o.clientId === undefined) throw vigilError('VIGIL_ERR_VALIDATION', 'redirect_uri needs client_id: it must be one of that client\'s registered redirect URIs');
    const client = await this.s.clients.get(realm, o.clientId);
    if (!client) throw vigilError('VIGIL_ERR_VALIDATION', `client_id ${o.clientId} is not a client of realm ${realm}`);
    if (o.redirectUri !== undefined && !client.redirectUris.includes(o.redirectUri)) {
      throw vigilError('VIGIL_ERR_VALIDATION', `redirect_uri must be one of client ${o.clientId}'s registered redirect URIs`);
    }
  }

  /** A user an admin may mail: exists (404), is enabled and has an address (400). */
  private async mailable(realm: string, username: string): Promise<StoredUser & { email: string }> {
    const user = await this.s.users.byUsername(realm, username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${username} in realm ${realm}`);
    if (!user.enabled) throw vigilError('VIGIL_ERR_VALIDATION', `user ${username} is disabled`);
    if (!user.email) throw vigilError('VIGIL_ERR_VALIDATION', `user ${username} has no email`);
    return user as StoredUser & { email: string };
  }

  /** Signs a link, mails it, announces it; returns the token's claims. */
  private async issue(realm: string, user: StoredUser & { email: string }, op: ActionTokenOperation, actions: TokenAction[], lifespan: number, o: SendOptions & { idp?: ActionTokenClaims['idp'] }): Promise<ActionTokenClaims> {
    const { token, claims } = await this.tokens.issue({
      realm, sub: user.id, op, act: actions, email: user.email,
      ...(o.clientId ? { clientId: o.clientId } : {}), ...(o.redirectUri ? { redirectUri: o.redirectUri } : {}), ...(o.idp ? { idp: o.idp } : {}),
    }, lifespan);
    const link = `${this.s.publicUrl()}${this.linkPath(realm)}?key=${token}`;
    const m = actionMail({ realm, username: user.username, operation: op, actions, link, lifespan, expiresAt: claims.exp, ...(o.idp ? { idpName: o.idp.name } : {}) });
    await this.s.mail.send(realm, { to: user.email, ...m, user: { userId: user.id, username: user.username } });
    await this.s.engine.emit(realm, 'action_token.issued', {
      username: user.username, operation: op, actions, expiresAt: new Date(claims.exp).toISOString(), ...(o.by ? { by: { username: o.by } } : {}),
    });
    return claims;
  }

  /** PUT /users/{username}/execute-actions-email. */
  async executeActionsEmail(realm: string, username: string, actions: Action[], o: SendOptions): Promise<ActionTokenClaims> {
    await this.checkRedirect(realm, o);
    const user = await this.mailable(realm, username);
    const policy = await this.s.realms.policy(realm);
    return this.issue(realm, user, 'execute-actions', [...new Set(actions)], o.lifespan ?? policy.adminActionLifespan, o);
  }

  /** PUT /users/{username}/send-verify-email. */
  async sendVerifyEmail(realm: string, username: string, o: SendOptions): Promise<ActionTokenClaims> {
    await this.checkRedirect(realm, o);
    const user = await this.mailable(realm, username);
    const policy = await this.s.realms.policy(realm);
    return this.issue(realm, user, 'verify-email', ['VERIFY_EMAIL'], o.lifespan ?? userLifespan(policy, 'verify-email'), o);
  }

  /**
   * A user was given an address that is not verified (made, or their address changed): with
   * the realm's `verifyEmail` on, they are mailed a verify-email link, as an admin's
   * send-verify-email would. Returns whether a link was sent.
   */
  async addressSet(realm: string, user: StoredUser, by?: string): Promise<boolean> {
    if (!user.email || user.emailVerified || !user.enabled) return false;
    const policy = await this.s.realms.policy(realm);
    if (!policy.verifyEmail) return false;
    await this.issue(realm, user as StoredUser & { email: string }, 'verify-email', ['VERIFY_EMAIL'], userLifespan(policy, 'verify-email'), by ? { by } : {});
    return true;
  }

  /**
   * POST /reset-credentials and the forgot-password form: mails a reset link when `name` is a
   * username or an address of an enabled user with an address, and at most RESET_LINKS_PER_HOUR
   * a user per hour; otherwise nothing, and the caller answers the same. Too many requests from
   * one address: VIGIL_ERR_RATE_LIMITED (it says nothing about any account).
   */
  async resetCredentials(realm: string, name: string, ip: string): Promise<void> {
    const at = this.s.keys.resetRequestsAt(realm, ip);
    const [[, n], [, ttl]] = (await this.s.redis.multi().incr(at).pexpire(at, RESET_WINDOW_MS, 'NX').pttl(at).exec()) as [[null, number], [null, number], [null, number]];
    if (n > RESET_REQUESTS_PER_ADDRESS) {
      const retryAfter = Math.max(1, Math.ceil(Number(ttl) / 1000));
      throw Object.assign(vigilError('VIGIL_ERR_RATE_LIMITED', retryAfter), { retryAfter });
    }
    const user = (await this.s.users.byUsername(realm, name)) ?? (name.includes('@') ? await this.s.users.byEmail(realm, name) : null);
    if (!user || !user.enabled || !user.email) return;
    const mine = this.s.keys.resetLinksOfUser(realm, user.id);
    const [[, sent]] = (await this.s.redis.multi().incr(mine).pexpire(mine, HOUR_MS, 'NX').exec()) as [[null, number]];
    if (sent > RESET_LINKS_PER_HOUR) return;
    const policy = await this.s.realms.policy(realm);
    await this.issue(realm, user as StoredUser & { email: string }, 'reset-credentials', ['UPDATE_PASSWORD'], userLifespan(policy, 'reset-credentials'), {});
  }

  /**
   * A first sign-in through an identity provider whose e-mail address is an existing user's:
   * that user is mailed a link (idp-verify-account-via-email: its override, else
   * userActionLifespan) that links the upstream identity to their account once used.
   */
  async sendIdpLink(realm: string, user: StoredUser & { email: string }, idp: { alias: string; name: string; sub: string }): Promise<ActionTokenClaims> {
    const policy = await this.s.realms.policy(realm);
    return this.issue(realm, user, 'idp-verify-account-via-email', ['LINK_IDP'], userLifespan(policy, 'idp-verify-account-via-email'), { idp });
  }

  /**
   * Checks an opened link: its claims and user, or why it is refused. A refusal of an authentic
   * token is announced (action_token.rejected names its user); a forged one is not (it names
   * nobody, and anyone can make them).
   */
  async open(realm: string, token: string): Promise<{ claims: ActionTokenClaims; user: StoredUser } | Rejection> {
    const r = await this.tokens.check(realm, token);
    if (!('claims' in r) || r.claims === null) return r as Rejection;
    if ('reason' in r) return this.rejected(realm, r);
    const user = await this.s.users.byId(realm, r.claims.sub);
    if (!user || !user.enabled || (user.email ?? '').toLowerCase() !== r.claims.email.toLowerCase()) {
      return this.rejected(realm, { reason: 'invalid', detail: 'account', claims: r.claims });
    }
    return { claims: r.claims, user };
  }

  private async rejected(realm: string, r: Rejection): Promise<Rejection> {
    if (r.claims) {
      const user = await this.s.users.byId(realm, r.claims.sub);
      await this.s.engine.emit(realm, 'action_token.rejected', {
        username: user?.username ?? null, operation: r.claims.op, reason: r.reason, ...('detail' in r ? { detail: r.detail } : {}),
      });
    }
    return r;
  }

  /**
   * Performs a link's actions, in order, once: the token is used up first (atomically), then
   * the new password is set — ending every session of the user (credentials-changed, which
   * also ends their refresh tokens) — and the address confirmed. `password` is given, checked
   * by the caller, when the actions include UPDATE_PASSWORD. Null when done, else why not.
   */
  async perform(realm: string, claims: ActionTokenClaims, user: StoredUser, password: string | null): Promise<Rejection | null> {
    const refused = await this.tokens.consume(claims);
    if (refused) return this.rejected(realm, refused);
    for (const action of claims.act) {
      if (action === 'UPDATE_PASSWORD' && password !== null) {
        await this.s.users.patch(realm, user.username, { password, requiredActions: user.requiredActions.filter((a) => a !== 'UPDATE_PASSWORD') });
        await this.s.engine.terminateMany(realm, await this.s.engine.userSessionIds(realm, user.id), 'credentials-changed', user.username);
        await this.s.engine.emit(realm, 'user.password_updated', { username: user.username, by: { username: user.username }, via: 'action_token' });
      }
      if (action === 'VERIFY_EMAIL') await this.s.users.patch(realm, user.username, { email: claims.email, emailVerified: true });
      if (action === 'LINK_IDP' && claims.idp) {
        await this.s.users.linkIdentity(realm, claims.idp.alias, claims.idp.sub, user.id);
        // the link went to this address and was opened: the address is proven too
        await this.s.users.patch(realm, user.username, { email: claims.email, emailVerified: true });
        await this.s.engine.emit(realm, 'identity_provider.linked', { username: user.username, alias: claims.idp.alias });
      }
    }
    await this.s.engine.emit(realm, 'action_token.used', { username: user.username, operation: claims.op, actions: claims.act });
    return null;
  }
}

/**
 * Signing in with a password, for every way in (REST /login, the OIDC login form, the password
 * grant): the attempt limits, the password check, what is counted and announced, and the
 * session start. The callers only turn a LoginFailure into their own answer.
 *
 * The check and the session start are two steps because the OIDC paths put something between
 * them (a required action refuses the grant; the form asks for a new password on a second page);
 * `signIn` does both for REST. Every session a password starts goes through `start`, so that
 * `login.succeeded` and the metric have one author.
 */
import type { SessionEngine } from '../sessions/engine.js';
import type { StoredUser, UserStore } from '../users/store.js';
import type { Metrics } from '../metrics.js';
import type { Session, SessionKind } from '../../shared/protocol.js';
import type { LoginLimiter } from './login-limiter.js';
import { verifyPassword } from '../users/passwords.js';
import { isVigilError } from '../errors.js';

/** A sign-in refused by the realm's maxSessionsPerUser (sessionLimitBehavior deny-new). */
export function isSessionLimit(err: unknown): boolean {
  return isVigilError(err) && err.code === 'VIGIL_ERR_SESSION_LIMIT';
}

/** Where a sign-in comes from and the session it asks for. */
export interface LoginOrigin {
  realm: string;
  /** The client address (`req.ip`). */
  ip: string;
  userAgent: string | null;
  kind: SessionKind;
  /** The OIDC client signing the user in; null for REST. */
  clientId: string | null;
}

export interface LoginAttempt extends LoginOrigin {
  /** As typed: it names a user only if one exists. */
  username: string;
  password: string;
}

export type LoginFailureReason = 'invalid_credentials' | 'disabled' | 'rate_limited';

/** A refused sign-in. `disabled` only ever follows the right password. */
export class LoginFailure extends Error {
  override name = 'LoginFailure';
  constructor(readonly reason: LoginFailureReason, /** seconds, for rate_limited */ readonly retryAfter = 0) {
    super(reason);
  }
}

export class LoginService {
  constructor(
    private readonly engine: SessionEngine,
    private readonly users: UserStore,
    private readonly limiter: LoginLimiter,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Checks the password within the attempt limits; returns the user or throws LoginFailure.
   * The attempt is counted before the hash is touched; an unknown user costs the same time.
   */
  async authenticate(a: LoginAttempt): Promise<StoredUser> {
    const reservation = await this.limiter.reserve(a.realm, a.username, a.ip);
    if (!reservation.reserved) {
      // counted, not announced: a flood of refused attempts must not push real events out of the stream
      this.metrics.logins.inc({ outcome: 'rate_limited' });
      throw new LoginFailure('rate_limited', reservation.retryAfter);
    }
    const user = await this.users.byUsername(a.realm, a.username);
    const ok = await this.verifyPassword(user?.passwordHash, a.password);
    if (!user || !ok || !user.enabled) {
      const reason = user && ok ? 'disabled' : 'invalid_credentials';
      await this.refuse(a, user, reason);
      throw new LoginFailure(reason);
    }
    await this.limiter.succeeded(a.realm, a.username, a.ip);
    return user;
  }

  /**
   * Starts the session of an authenticated user and announces the sign-in. Past the realm's
   * session limit with deny-new it throws VIGIL_ERR_SESSION_LIMIT, announced as login.failed
   * (reason session_limit); each caller answers it its own way (REST 409, OIDC access_denied).
   */
  async start(a: LoginOrigin, user: StoredUser, grant?: string): Promise<{ token: string; session: Session }> {
    let started: { token: string; session: Session };
    try {
      started = await this.engine.start({
        realm: a.realm, kind: a.kind, user, clientId: a.clientId, ip: a.ip, userAgent: a.userAgent,
        ...(a.kind === 'console' ? { idleTimeout: user.tokenLifetime } : {}),
      });
    } catch (err) {
      if (isSessionLimit(err)) await this.refuse(a, user, 'session_limit');
      throw err;
    }
    this.metrics.logins.inc({ outcome: 'succeeded' });
    await this.engine.emit(a.realm, 'login.succeeded', {
      username: user.username, ...(a.clientId ? { clientId: a.clientId } : {}), kind: started.session.kind, ...(grant ? { grant } : {}),
    }, started.session.id);
    return started;
  }

  /** `authenticate`, then `start`. */
  async signIn(a: LoginAttempt): Promise<{ user: StoredUser; token: string; session: Session }> {
    const user = await this.authenticate(a);
    return { user, ...(await this.start(a, user)) };
  }

  /**
   * Announces a refused sign-in (login.failed, admins only). It names the attempted username
   * only when such a user exists: what someone typed as a username is often their password.
   */
  async refuse(a: LoginOrigin, user: StoredUser | null, reason: string): Promise<void> {
    this.metrics.logins.inc({ outcome: 'failed' });
    await this.engine.emit(a.realm, 'login.failed', {
      ...(user ? { username: user.username } : { unknownUser: true }), ...(a.clientId ? { clientId: a.clientId } : {}), ip: a.ip, reason,
    });
  }

  /** The one place a password is checked against its hash (a method, so that tests can count the checks). */
  verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
    return verifyPassword(stored, password);
  }
}

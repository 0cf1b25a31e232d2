/** Realm users: a hash per user id, and a username → id index. */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import type { Role, UserRecord } from '../../shared/protocol.js';
import { ROLES } from '../../shared/protocol.js';
import { tokenLifetimeProblem } from '../../shared/policy.js';
import { vigilError } from '../errors.js';
import { hashPassword } from './passwords.js';
import { EMAIL, EMAIL_MAX, EMAIL_RULE, PASSWORD_MAX, PASSWORD_MIN, USERNAME } from '../../shared/accounts.js';
import { newId } from '../sessions/tokens.js';
import { iso } from '../sessions/format.js';

/** Required actions an admin can set; the OIDC login asks for them before it completes. */
export const REQUIRED_ACTIONS = ['UPDATE_PASSWORD'] as const;
export type RequiredAction = (typeof REQUIRED_ACTIONS)[number];

export interface StoredUser extends UserRecord {
  passwordHash: string;
  requiredActions: RequiredAction[];
}

export interface UserInput {
  username?: unknown;
  password?: unknown;
  roles?: unknown;
  tokenLifetime?: unknown;
  enabled?: unknown;
  requiredActions?: unknown;
  /** A string sets the address (unverified unless emailVerified says so), null removes it. */
  email?: unknown;
  emailVerified?: unknown;
}

function parse(h: Record<string, string>): StoredUser | null {
  if (!h.id) return null;
  return {
    id: h.id,
    username: h.username!,
    roles: (h.roles ? h.roles.split(',') : []) as Role[],
    tokenLifetime: Number(h.tokenLifetime),
    enabled: h.enabled !== 'false',
    createdAt: iso(h.createdAt),
    passwordHash: h.passwordHash ?? '',
    requiredActions: (h.requiredActions ? h.requiredActions.split(',') : []) as RequiredAction[],
    ...(h.email ? { email: h.email } : {}),
    emailVerified: h.email ? h.emailVerified === 'true' : false,
  };
}

export function publicUser(u: StoredUser): UserRecord {
  const { passwordHash: _omit, ...rest } = u;
  return rest;
}

function checkRoles(roles: unknown): Role[] {
  if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => !ROLES.includes(r as Role))) {
    throw vigilError('VIGIL_ERR_VALIDATION', `roles must be a non-empty array of ${ROLES.join(', ')}`);
  }
  return [...new Set(roles as Role[])];
}

function checkPassword(p: unknown): string {
  if (typeof p !== 'string' || p.length < PASSWORD_MIN || p.length > PASSWORD_MAX) {
    throw vigilError('VIGIL_ERR_VALIDATION', `password must be a string of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  return p;
}

function checkRequiredActions(v: unknown): RequiredAction[] {
  if (!Array.isArray(v) || v.some((a) => !REQUIRED_ACTIONS.includes(a as RequiredAction))) {
    throw vigilError('VIGIL_ERR_VALIDATION', `requiredActions must be an array of ${REQUIRED_ACTIONS.join(', ')}`);
  }
  return [...new Set(v as RequiredAction[])];
}

function checkEmail(v: unknown): string {
  if (typeof v !== 'string' || v.length > EMAIL_MAX || !EMAIL.test(v)) throw vigilError('VIGIL_ERR_VALIDATION', `email must be ${EMAIL_RULE}`);
  return v;
}

/** The index form of an address: addresses differ only in case are one address. */
const emailKey = (email: string) => email.toLowerCase();

function checkTokenLifetime(v: unknown): number {
  const problem = tokenLifetimeProblem(v);
  if (problem) throw vigilError('VIGIL_ERR_VALIDATION', problem);
  return v as number;
}

export class UserStore {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  async byUsername(realm: string, username: string): Promise<StoredUser | null> {
    const id = await this.redis.hget(this.keys.usernames(realm), username);
    return id ? this.byId(realm, id) : null;
  }

  /** The user whose e-mail address this is (case-insensitively), if any. */
  async byEmail(realm: string, email: string): Promise<StoredUser | null> {
    const id = await this.redis.hget(this.keys.userEmails(realm), emailKey(email));
    return id ? this.byId(realm, id) : null;
  }

  /** The user an upstream identity (provider alias, its subject) is linked to, if any. */
  async byIdentity(realm: string, alias: string, subject: string): Promise<StoredUser | null> {
    const id = await this.redis.hget(this.keys.userIdentities(realm), `${alias}\n${subject}`);
    return id ? this.byId(realm, id) : null;
  }

  /**
   * Links an upstream identity to a user: signing in through that provider signs in as them. A
   * user has at most one link per provider, as in Keycloak: a new one replaces the old.
   */
  async linkIdentity(realm: string, alias: string, subject: string, userId: string): Promise<void> {
    const previous = await this.redis.hget(this.keys.userLinks(realm, userId), alias);
    const m = this.redis.multi();
    if (previous !== null && previous !== subject) m.hdel(this.keys.userIdentities(realm), `${alias}\n${previous}`);
    await m.hset(this.keys.userIdentities(realm), `${alias}\n${subject}`, userId).hset(this.keys.userLinks(realm, userId), alias, subject).exec();
  }

  /** A user's links: the provider alias and the subject there, by alias. */
  async identityLinks(realm: string, userId: string): Promise<Array<{ alias: string; subject: string }>> {
    const h = await this.redis.hgetall(this.keys.userLinks(realm, userId));
    return Object.entries(h).map(([alias, subject]) => ({ alias, subject })).sort((a, b) => a.alias.localeCompare(b.alias));
  }

  /** Removes a user's link to a provider; false when there was none. */
  async unlinkIdentity(realm: string, userId: string, alias: string): Promise<boolean> {
    const subject = await this.redis.hget(this.keys.userLinks(realm, userId), alias);
    if (subject === null) return false;
    await this.redis.multi().hdel(this.keys.userLinks(realm, userId), alias).hdel(this.keys.userIdentities(realm), `${alias}\n${subject}`).exec();
    return true;
  }

  /**
   * Removes every link to a provider (when it is removed): a provider added later under the same
   * alias — another issuer, whose subjects mean other people — must not sign anyone in as them.
   */
  async unlinkProvider(realm: string, alias: string): Promise<number> {
    const k = this.keys.userIdentities(realm);
    let cursor = '0';
    let n = 0;
    do {
      const [next, flat] = await this.redis.hscan(k, cursor, 'MATCH', `${alias}\n*`, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const field = flat[i]!;
        if (!field.startsWith(`${alias}\n`)) continue;
        await this.redis.multi().hdel(k, field).hdel(this.keys.userLinks(realm, flat[i + 1]!), alias).exec();
        n++;
      }
    } while (cursor !== '0');
    return n;
  }

  /** Takes an address for a user; 409 when another user has it. */
  private async claimEmail(realm: string, email: string, userId: string): Promise<void> {
    const k = this.keys.userEmails(realm);
    if (await this.redis.hsetnx(k, emailKey(email), userId)) return;
    if ((await this.redis.hget(k, emailKey(email))) !== userId) throw vigilError('VIGIL_ERR_CONFLICT', `another user has the e-mail address ${email}`);
  }

  async byId(realm: string, id: string): Promise<StoredUser | null> {
    return parse(await this.redis.hgetall(this.keys.user(realm, id)));
  }

  async list(realm: string): Promise<StoredUser[]> {
    const ids = await this.redis.hvals(this.keys.usernames(realm));
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.keys.user(realm, id));
    const out: StoredUser[] = [];
    for (const [, h] of (await p.exec()) ?? []) {
      const u = parse(h as Record<string, string>);
      if (u) out.push(u);
    }
    return out.sort((a, b) => a.username.localeCompare(b.username));
  }

  async create(realm: string, input: UserInput, defaultTokenLifetime: number): Promise<StoredUser> {
    if (typeof input.username !== 'string' || !USERNAME.test(input.username)) {
      throw vigilError('VIGIL_ERR_VALIDATION', 'username must be 1 to 64 letters, digits, or . _ @ -');
    }
    const password = checkPassword(input.password);
    const roles = input.roles === undefined ? (['user'] as Role[]) : checkRoles(input.roles);
    const tokenLifetime = input.tokenLifetime === undefined ? defaultTokenLifetime : checkTokenLifetime(input.tokenLifetime);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw vigilError('VIGIL_ERR_VALIDATION', 'enabled must be true or false');
    const email = input.email === undefined || input.email === null ? null : checkEmail(input.email);
    if (input.emailVerified !== undefined && typeof input.emailVerified !== 'boolean') throw vigilError('VIGIL_ERR_VALIDATION', 'emailVerified must be true or false');
    const id = newId('u_', 9);
    const claimed = await this.redis.hsetnx(this.keys.usernames(realm), input.username, id);
    if (!claimed) throw vigilError('VIGIL_ERR_CONFLICT', `user ${input.username} already exists`);
    if (email) {
      try {
        await this.claimEmail(realm, email, id);
      } catch (err) {
        await this.redis.hdel(this.keys.usernames(realm), input.username);
        throw err;
      }
    }
    const passwordHash = await hashPassword(password);
    await this.redis.hset(this.keys.user(realm, id), {
      id, username: input.username, roles: roles.join(','), tokenLifetime: String(tokenLifetime),
      enabled: String(input.enabled ?? true), createdAt: String(Date.now()), passwordHash,
      ...(email ? { email, emailVerified: String(input.emailVerified === true) } : {}),
    });
    return (await this.byId(realm, id))!;
  }

  /** Applies a partial update; returns the user before and after. */
  async patch(realm: string, username: string, input: UserInput): Promise<{ before: StoredUser; after: StoredUser }> {
    const before = await this.byUsername(realm, username);
    if (!before) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${username} in realm ${realm}`);
    const set: Record<string, string> = {};
    if (input.username !== undefined && input.username !== username) throw vigilError('VIGIL_ERR_VALIDATION', 'username cannot be changed');
    if (input.password !== undefined) set.passwordHash = await hashPassword(checkPassword(input.password));
    if (input.roles !== undefined) set.roles = checkRoles(input.roles).join(',');
    if (input.tokenLifetime !== undefined) set.tokenLifetime = String(checkTokenLifetime(input.tokenLifetime));
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean') throw vigilError('VIGIL_ERR_VALIDATION', 'enabled must be true or false');
      set.enabled = String(input.enabled);
    }
    if (input.requiredActions !== undefined) set.requiredActions = checkRequiredActions(input.requiredActions).join(',');
    if (input.emailVerified !== undefined && typeof input.emailVerified !== 'boolean') throw vigilError('VIGIL_ERR_VALIDATION', 'emailVerified must be true or false');
    const unset: string[] = [];
    const email = input.email === undefined ? undefined : input.email === null ? null : checkEmail(input.email);
    if (email !== undefined && email !== (before.email ?? null)) {
      // a new address is unverified until its owner proves it (unless the admin says it is verified)
      if (email) {
        await this.claimEmail(realm, email, before.id);
        set.email = email;
        set.emailVerified = String(input.emailVerified === true);
      } else unset.push('email', 'emailVerified');
      if (before.email && emailKey(before.email) !== (email && emailKey(email))) await this.redis.hdel(this.keys.userEmails(realm), emailKey(before.email));
    } else if (input.emailVerified !== undefined) {
      if (!before.email && input.emailVerified) throw vigilError('VIGIL_ERR_VALIDATION', 'emailVerified cannot be true for a user without an email');
      set.emailVerified = String(input.emailVerified);
    }
    if (Object.keys(set).length) await this.redis.hset(this.keys.user(realm, before.id), set);
    if (unset.length) await this.redis.hdel(this.keys.user(realm, before.id), ...unset);
    return { before, after: (await this.byId(realm, before.id))! };
  }

  async setTokenLifetime(realm: string, userId: string, tokenLifetime: number): Promise<void> {
    await this.redis.hset(this.keys.user(realm, userId), 'tokenLifetime', String(checkTokenLifetime(tokenLifetime)));
  }

  async remove(realm: string, username: string): Promise<StoredUser> {
    const user = await this.byUsername(realm, username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${username} in realm ${realm}`);
    const links = await this.identityLinks(realm, user.id);
    const m = this.redis.multi().hdel(this.keys.usernames(realm), username).del(this.keys.user(realm, user.id)).del(this.keys.userLinks(realm, user.id));
    if (user.email) m.hdel(this.keys.userEmails(realm), emailKey(user.email));
    for (const l of links) m.hdel(this.keys.userIdentities(realm), `${l.alias}\n${l.subject}`);
    await m.exec();
    return user;
  }
}

/** Opaque credentials: ≥ 256 bits of randomness, stored only as their SHA-256. */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_TOKEN_PREFIX = 'vs_';
export const DISPLAY_KEY_PREFIX = 'vk_';

export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function newId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

const SESSION_ID = /^s_[A-Za-z0-9_-]{16}$/;

/**
 * A session token names its session: `vs_<session id>.<256 random bits>`. Resolving it reads
 * that session's hash and compares the stored SHA-256 of the whole token, so Redis needs no
 * token → session index (114 bytes per live session, bench:memory T6). Knowing a session id
 * (viewers see them) gives nothing: the random part is what is checked.
 */
export function newSessionToken(sid: string): string {
  return `${SESSION_TOKEN_PREFIX}${sid}.${randomBytes(32).toString('base64url')}`;
}

/** The session id a token names; null for a token of the first release's form (`vs_<random>`), found through the index. */
export function sessionIdOf(token: string): string | null {
  if (!token.startsWith(SESSION_TOKEN_PREFIX)) return null;
  const dot = token.indexOf('.', SESSION_TOKEN_PREFIX.length);
  if (dot < 0) return null;
  const sid = token.slice(SESSION_TOKEN_PREFIX.length, dot);
  return SESSION_ID.test(sid) ? sid : null;
}

/** Who a credential speaks for: the result of the one way in (authenticate.ts), read by every route and topic. */
import type { Role } from '../../shared/protocol.js';

export interface Principal {
  realm: string;
  roles: Role[];
  /** The strongest role: admin > viewer > user. */
  role: Role;
  user: { id: string; username: string; tokenLifetime: number } | null;
  sessionId: string | null;
  displayKeyId: string | null;
  /**
   * True for an OIDC access token whose client holds no API roles: it acts only as its own
   * session (me, activity, extend, logout, the `self` topic), whatever roles its user has.
   */
  sessionOnly: boolean;
  /** When the credential itself ends (an access token's `exp`), ms since the epoch; null: it ends with its session or key. */
  expiresAt: number | null;
  /** The access token's `jti` (what revocation names), else null. */
  tokenId: string | null;
}

/** Whether the principal holds the role. One acting only as its own session holds none. */
export function hasRole(p: Principal, needed: Role): boolean {
  if (p.sessionOnly) return false;
  if (needed === 'user') return true;
  if (needed === 'viewer') return p.roles.includes('viewer') || p.roles.includes('admin');
  return p.roles.includes('admin');
}

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
}

export function hasRole(p: Principal, needed: Role): boolean {
  if (needed === 'user') return true;
  if (needed === 'viewer') return p.roles.includes('viewer') || p.roles.includes('admin');
  return p.roles.includes('admin');
}

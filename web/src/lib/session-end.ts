/**
 * Why a session ended, as a short code carried to the sign-in page (`/?ended=<code>`) and
 * the sentence shown there.
 */
import type { VigilEvent } from '../../../shared/protocol.js';

export type EndCode =
  | 'expired'
  | 'expired-max'
  | 'terminated'
  | 'terminated-others'
  | 'terminated-self'
  | 'user-disabled'
  | 'policy'
  | 'session-limit'
  | 'logout'
  | 'unauthenticated';

const MESSAGES: Record<EndCode, string> = {
  expired: 'Your session expired after a period of inactivity. Sign in again to continue.',
  'expired-max': 'Your session reached its maximum duration. Sign in again to continue.',
  terminated: 'Your session was terminated by an administrator.',
  'terminated-others': 'Your session was ended by "Terminate Other Sessions" from another session.',
  'terminated-self': 'You ended this session from another of your sessions.',
  'user-disabled': 'Your account has been disabled. Contact an administrator.',
  policy: 'Your session was ended by a change to the realm policy.',
  'session-limit': 'You were signed out because of the session limit: your account signed in elsewhere, and this realm allows only so many sessions per user, so your oldest session (this one) was ended.',
  logout: 'You have signed out.',
  unauthenticated: 'Your session has ended. Sign in again to continue.',
};

export function endMessage(code: string | null | undefined): string | null {
  if (!code) return null;
  return MESSAGES[code as EndCode] ?? MESSAGES.unauthenticated;
}

/** Maps a session's final event to its end code. */
export function endCodeOf(e: VigilEvent): EndCode {
  const reason = (e.data as { reason?: string } | null)?.reason;
  switch (e.name) {
    case 'session.expired':
      return reason === 'max' ? 'expired-max' : 'expired';
    case 'session.terminated':
      if (reason === 'others') return 'terminated-others';
      if (reason === 'self') return 'terminated-self';
      if (reason === 'user-disabled') return 'user-disabled';
      if (reason === 'policy') return 'policy';
      if (reason === 'session-limit') return 'session-limit';
      return 'terminated';
    case 'session.ended':
      return 'logout';
    default:
      return 'unauthenticated';
  }
}

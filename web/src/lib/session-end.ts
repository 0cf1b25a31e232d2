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
      return 'terminated';
    case 'session.ended':
      return 'logout';
    default:
      return 'unauthenticated';
  }
}

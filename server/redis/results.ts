/**
 * What the Lua scripts in ./lua answer, named once. Lua returns numbers; each family below is
 * the one table of them: scripts.ts writes them into the scripts where they say
 * `{{Family.Name}}` (so the numbers cannot drift apart), and each script's header repeats the
 * numbers it returns. Refusals become the contract's errors in one place: `sessionRefusal`
 * (VigilError) here, the OAuth ones in oidc/token-endpoint.ts (`oauthRefusal`).
 */
import { vigilError, type VigilError } from '../errors.js';

/** The session scripts: create, touch, extend, set-idle-timeout, end. */
export const SessionResult = {
  /** Done (touched, extended, updated, ended). */
  Ok: 1,
  /** Nothing to do: activity while in warning (only an explicit extend counts), or no limit changed. */
  Unchanged: 2,
  /** No such session (or not that user's, for end-session). */
  NoSession: 0,
  /** The session was past its deadline: the script ended it just now. */
  Expired: -1,
  /** A warning caused by the hard limit: it cannot be extended. */
  NotExtendable: -3,
  /** create-session: the user is at the policy's maxSessionsPerUser and the behaviour is deny-new. */
  SessionLimit: -4,
} as const;
export type SessionResult = (typeof SessionResult)[keyof typeof SessionResult];

/** oidc-refresh-10.lua. */
export const RefreshResult = {
  Ok: 1,
  /** The session has ended (or was past its deadline and ended just now). */
  NoSession: -1,
  /** The client session is gone, or the token's generation was never issued. */
  NoClientSession: -2,
  /** A revoked refresh token was used again: the session was ended. */
  Reused: -3,
} as const;
export type RefreshResult = (typeof RefreshResult)[keyof typeof RefreshResult];

/** oidc-redeem-code-10.lua. */
export const CodeResult = {
  Ok: 1,
  Unknown: 0,
  Expired: -1,
  /** Redeemed before: the session it started was ended. */
  Reused: -2,
  /** Presented by a client other than its own (nothing changed). */
  OtherClient: -3,
  /** The code has a PKCE challenge and the verifier does not match it. */
  VerifierMismatch: -4,
  /** redirect_uri missing or different. */
  RedirectMismatch: -5,
  /** A verifier for a code without a challenge. */
  UnexpectedVerifier: -6,
} as const;
export type CodeResult = (typeof CodeResult)[keyof typeof CodeResult];

/** oidc-rotate-key-1.lua and oidc-retire-key-1.lua. */
export const SigningKeyResult = {
  /** Rotated to, or retired. */
  Ok: 1,
  /** No such key (retire), or the new key is missing (rotate). */
  Unknown: 0,
  /** Retire: it is the active key. */
  Active: -1,
} as const;

/** login-reserve-3.lua. */
export const LoginReserve = {
  Reserved: 1,
  /** The username's attempts from that address are at their limit. */
  UserAtAddress: -1,
  /** The address's attempts are at their limit (and it is not familiar to the username). */
  Address: -2,
} as const;

/** consume-action-token-2.lua. */
export const ActionTokenResult = {
  /** Used up now: the caller performs its actions. */
  Ok: 1,
  /** Used before. */
  Used: -1,
  /** A newer link of the same operation was sent to the user. */
  Superseded: -2,
} as const;
export type ActionTokenResult = (typeof ActionTokenResult)[keyof typeof ActionTokenResult];

/** finish-slice-2.lua: the slice was closed (else the reply is the earliest check's time). */
export const SliceResult = { Closed: -1 } as const;

/** Every family, by the name the scripts use in `{{Family.Name}}`. */
export const SCRIPT_RESULTS: Record<string, Record<string, number>> = { SessionResult, RefreshResult, CodeResult, SigningKeyResult, LoginReserve, SliceResult, ActionTokenResult };

/**
 * The one translation of a session script's refusal into the contract's error: an ended or
 * expired session is 401, a hard-limit warning cannot be extended (409), a sign-in past the
 * session limit is refused (409).
 */
export function sessionRefusal(result: number): VigilError {
  if (result === SessionResult.NotExtendable) return vigilError('VIGIL_ERR_NOT_EXTENDABLE');
  if (result === SessionResult.SessionLimit) {
    return vigilError('VIGIL_ERR_SESSION_LIMIT', 'The user has as many sessions as the realm allows (maxSessionsPerUser); sign out of one to sign in again');
  }
  return vigilError('VIGIL_ERR_UNAUTHENTICATED', 'The session has ended');
}

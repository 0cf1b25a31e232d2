/** The session object (CONTRACT.md "Session object") and the sign-in and session routes' bodies. */
import { Type } from 'typebox';
import { TOKEN_LIFETIME_MAX, TOKEN_LIFETIME_MIN } from '../../shared/policy.js';
import { DEVICE_TYPES, SESSION_KINDS } from '../../shared/protocol.js';
import { UNIT } from './rules.js';
import { literals, Timestamp } from './common.js';


export const SessionKind = literals(SESSION_KINDS);

export const TokenLifetime = Type.Integer({ minimum: TOKEN_LIFETIME_MIN, maximum: TOKEN_LIFETIME_MAX, [UNIT]: 'seconds', description: 'Idle limit of the user\'s console sessions, in seconds' });

export const Session = Type.Object({
  id: Type.String({ examples: ['s_3kZ9xQ2mB7pL'] }),
  realm: Type.String(),
  kind: SessionKind,
  user: Type.Object({ id: Type.String(), username: Type.String() }),
  clientId: Type.Union([Type.String(), Type.Null()], { description: 'The OIDC client of an sso or offline session; null for console sessions' }),
  state: literals(['active', 'warning'] as const),
  createdAt: Timestamp('When it started'),
  lastActivityAt: Timestamp('Its last activity'),
  warnAt: Timestamp('When the expiry prompt shows: expiresAt − expiryPromptSeconds'),
  expiresAt: Timestamp('min(lastActivityAt + idle limit, maxExpiresAt)'),
  maxExpiresAt: Timestamp('Its hard limit'),
  idleTimeout: Type.Integer({ description: 'The idle limit in seconds: the token lifetime for console sessions' }),
  origin: Type.Object({
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    device: Type.Object({
      browser: Type.Union([Type.String(), Type.Null()], { description: 'e.g. "Firefox 133"' }),
      os: Type.Union([Type.String(), Type.Null()], { description: 'e.g. "Linux"' }),
      type: Type.Union([Type.Union(DEVICE_TYPES.map((t) => Type.Literal(t))), Type.Null()]),
    }, { description: 'The user agent as parsed by ua-parser-js on the server; every field null when it is not recognised' }),
  }, { additionalProperties: true, description: 'Where it was started from' }),
  current: Type.Boolean({ description: 'True when this is the caller\'s own session' }),
}, { $id: 'Session', title: 'Session' });

export const TokenAndSession = Type.Object({
  token: Type.String({ description: 'The session token (shown once): send it as Authorization: Bearer <token>' }),
  session: Type.Ref('Session'),
}, { description: 'Signed in: the token and its session' });

export const MeResponse = Type.Object({
  user: Type.Object({ id: Type.String(), username: Type.String(), roles: Type.Array(Type.Ref('Role')), tokenLifetime: Type.Integer() }),
  session: Type.Union([Type.Ref('Session'), Type.Null()], { description: 'The caller\'s session; null for a display key' }),
}, { $id: 'MeResponse', title: 'Me' });

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false, title: 'login' });

export const StartSessionBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64, description: 'The user the calling application authenticated' }),
  idleTimeout: Type.Optional(Type.Integer({ minimum: TOKEN_LIFETIME_MIN, maximum: TOKEN_LIFETIME_MAX, [UNIT]: 'seconds', description: 'Default: the user\'s token lifetime' })),
  origin: Type.Optional(Type.Object({
    ip: Type.Optional(Type.String({ maxLength: 64, description: 'Default: the caller\'s address' })),
    userAgent: Type.Optional(Type.String({ maxLength: 256 })),
  }, { additionalProperties: false, title: 'session origin' })),
}, { additionalProperties: false, title: 'session' });

export const TokenLifetimeBody = Type.Object({ tokenLifetime: TokenLifetime }, { additionalProperties: false, title: 'token lifetime' });

export const SessionList = Type.Object({
  sessions: Type.Array(Type.Ref('Session')),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last one' }),
}, { description: 'A page of sessions, newest first' });

export const SessionQuery = Type.Object({
  user: Type.Optional(Type.String({ maxLength: 64, description: 'A username' })),
  kind: Type.Optional(SessionKind),
  state: Type.Optional(literals(['active', 'warning'] as const)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page' })),
}, { additionalProperties: false, title: 'query' });

export const SessionId = Type.String({ maxLength: 64, description: 'A session id (s_…)' });

/**
 * The public real-time protocol and REST object shapes (CONTRACT.md), shared by the server,
 * the dashboard and tests. Changing a name here changes the public contract.
 */

export const PROTOCOL_VERSION = 1;

export type Role = 'admin' | 'viewer' | 'user';
export const ROLES: readonly Role[] = ['admin', 'viewer', 'user'];

/** The role a set of roles amounts to (`hello.role`): admin includes viewer. */
export function strongestRole(roles: readonly Role[]): Role {
  return roles.includes('admin') ? 'admin' : roles.includes('viewer') ? 'viewer' : 'user';
}

export type SessionKind = 'console' | 'sso' | 'offline';
export const SESSION_KINDS: readonly SessionKind[] = ['console', 'sso', 'offline'];
export type SessionState = 'active' | 'warning';

export interface SessionUser {
  id: string;
  username: string;
}

/**
 * What the server made of `origin.userAgent` (ua-parser-js): `{browser: "Chrome 131", os:
 * "Windows 10", type: "desktop"}`. Each field is null when not recognised (all three for
 * curl or no user agent); show the raw user agent then.
 */
export interface SessionDevice {
  /** Browser name and major version, e.g. "Firefox 133", "Mobile Safari 17". */
  browser: string | null;
  /** Operating system name and version, e.g. "Windows 10", "iOS 17.5", "Linux". */
  os: string | null;
  /** "desktop" (a browser or OS was recognised but no other kind), or ua-parser-js's kind. */
  type: DeviceType | null;
}
export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'console' | 'smarttv' | 'wearable' | 'embedded';
export const DEVICE_TYPES: readonly DeviceType[] = ['desktop', 'mobile', 'tablet', 'console', 'smarttv', 'wearable', 'embedded'];

export interface Session {
  id: string;
  realm: string;
  kind: SessionKind;
  user: SessionUser;
  clientId: string | null;
  state: SessionState;
  createdAt: string;
  lastActivityAt: string;
  warnAt: string;
  expiresAt: string;
  maxExpiresAt: string;
  /** The idle limit in seconds: the token lifetime for console sessions. */
  idleTimeout: number;
  origin: { ip: string | null; userAgent: string | null; device: SessionDevice };
  /** True when this is the caller's own session. Always false inside broadcast events. */
  current: boolean;
}

export const EVENT_NAMES = [
  'session.started',
  'session.activity',
  'session.warning',
  'session.extended',
  'session.updated',
  'session.expired',
  'session.terminated',
  'session.ended',
  'policy.updated',
] as const;
export type EventName = (typeof EVENT_NAMES)[number] | `login.${string}` | `token.${string}` | `code.${string}` | `action_token.${string}` | `mail.${string}` | `display_key.${string}` | `user.${string}` | `client.${string}` | `realm.${string}` | `keys.${string}` | `identity_provider.${string}` | `webhook.${string}`;

/** Events of the OpenID Connect provider (server/oidc), in the same envelope on the realm's stream. */
export const OIDC_EVENT_NAMES = [
  'login.started',
  'login.succeeded',
  'login.failed',
  'login.expired',
  'token.issued',
  'token.refreshed',
  'token.reuse_detected',
  'token.revoked',
  'code.expired',
] as const;

/** Events of the e-mailed account actions (server/mail): admins only (isCredentialEvent). */
export const MAIL_EVENT_NAMES = [
  'action_token.issued',
  'action_token.used',
  'action_token.rejected',
  'mail.sent',
  'mail.failed',
] as const;

/**
 * Events about credentials reach admins only — never viewers, display keys or a user's own
 * `self` stream: they can carry who tried to sign in from where, and which tokens exist.
 * `webhook.*` too: a webhook's URL often carries the receiver's own secret (`?token=…`).
 */
export function isCredentialEvent(name: string): boolean {
  return name === 'login.failed' || name.startsWith('token.') || name.startsWith('action_token.') || name.startsWith('mail.') || name.startsWith('webhook.');
}

/** Events after which the session no longer exists. */
export const FINAL_EVENTS: readonly string[] = ['session.expired', 'session.terminated', 'session.ended'];

export type WarningReason = 'idle' | 'max';
export type TerminationReason = 'admin' | 'others' | 'self' | 'user-disabled' | 'policy' | 'credentials-changed' | 'session-limit';

export interface VigilEvent<D = Record<string, unknown>> {
  /** The stream cursor; resume from it with `subscribe {since}`. */
  id: string;
  name: EventName;
  at: string;
  realm: string;
  sessionId: string | null;
  session: Session | null;
  data: D;
}

export type Topic = 'sessions' | 'self' | 'stats';
export const TOPICS: readonly Topic[] = ['sessions', 'self', 'stats'];

/** A `sessions` subscription narrowed to matching sessions: snapshot and events alike. */
export interface SessionFilter {
  /** The username. */
  user?: string;
  kind?: SessionKind;
  clientId?: string;
}

/** `full`: every event carries the whole session; `changes`: only what changed (`session.started` whole). */
export type SessionDetail = 'full' | 'changes';
export const SESSION_DETAILS: readonly SessionDetail[] = ['full', 'changes'];

/** Whether a session matches a filter (every given field equal). */
export function sessionMatches(filter: SessionFilter, s: Pick<Session, 'user' | 'kind' | 'clientId'>): boolean {
  return (filter.user === undefined || s.user.username === filter.user)
    && (filter.kind === undefined || s.kind === filter.kind)
    && (filter.clientId === undefined || s.clientId === filter.clientId);
}

export type ServerMessage =
  | { type: 'hello'; protocol: number; serverTime: string; role: Role; realm: string; sessionId: string | null; expiresAt: string | null }
  | { type: 'snapshot'; topic: Topic; cursor: string; sessions: Session[]; resync: boolean; ref?: unknown }
  | { type: 'events'; topic: Topic; events: VigilEvent[] }
  | { type: 'synced'; topic: Topic; cursor: string; ref?: unknown }
  | { type: 'error'; code: string; message: string; ref?: unknown }
  | { type: 'stats'; topic: 'stats'; stats: Stats; ref?: unknown }
  | { type: 'ack'; ok: true; ref?: unknown; session?: Session; expiresAt?: string | null; superseded?: boolean };

/** Every `type` of a server → client message (the AsyncAPI document names each). */
export const SERVER_MESSAGE_TYPES = ['hello', 'snapshot', 'events', 'synced', 'stats', 'error', 'ack'] as const;
type SameMembers<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
// compile-time: the lists and the unions name the same types
true satisfies SameMembers<ServerMessage['type'], (typeof SERVER_MESSAGE_TYPES)[number]>;
true satisfies SameMembers<ClientMessage['type'], (typeof CLIENT_MESSAGE_TYPES)[number]>;

export type ClientMessage =
  | { type: 'auth'; token: string; ref?: unknown }
  | { type: 'subscribe'; topic: Topic; since?: string; filter?: SessionFilter; detail?: SessionDetail; ref?: unknown }
  | { type: 'unsubscribe'; topic: Topic; ref?: unknown }
  | { type: 'activity'; ref?: unknown }
  | { type: 'extend'; ref?: unknown };

export const CLIENT_MESSAGE_TYPES = ['auth', 'subscribe', 'unsubscribe', 'activity', 'extend'] as const;

/**
 * WebSocket close codes used by Vigil (Socket.IO clients get the same code in a `close` event
 * before the server disconnects them). 4401 and 4403 are final; after any other, reconnect.
 */
export const CLOSE = {
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  /** The server could not set the connection up (e.g. Redis trouble); try again later. */
  INTERNAL_ERROR: 1011,
  /** The connection's authorisation changed (the user's roles): reconnect with the same credential. */
  RECONNECT: 4000,
  UNAUTHENTICATED: 4401,
  FORBIDDEN: 4403,
} as const;

export const MAX_FRAME_BYTES = 64 * 1024;
/** A client message's `ref` is echoed in the answer: a string of at most this many characters, or a number. */
export const MAX_REF_LENGTH = 128;
export const AUTH_TIMEOUT_MS = 10_000;
export const BAD_MESSAGES_PER_MINUTE = 20;
/** Past this many messages in a second, a client's messages are refused (VIGIL_ERR_RATE_LIMITED) and count as bad. */
export const MESSAGES_PER_SECOND = 50;
/** Connections one address may hold that have not authenticated yet. */
export const MAX_UNAUTHENTICATED_PER_ADDRESS = 100;

export interface Stats {
  active: number;
  warning: number;
  byKind: Record<SessionKind, number>;
  lastHour: { started: number; logins: number; expired: number; terminated: number; ended: number };
  connectedClients: number;
  serverTime: string;
}

export interface MeResponse {
  user: { id: string; username: string; roles: Role[]; tokenLifetime: number };
  session: Session | null;
}

export interface UserRecord {
  id: string;
  username: string;
  roles: Role[];
  tokenLifetime: number;
  enabled: boolean;
  createdAt: string;
  /** Where the user's action links go; absent: none (they cannot get any mail). */
  email?: string;
  /** Whether the user proved they read mail at `email` (a verify-email link). */
  emailVerified: boolean;
}

/** A message of a realm's outbox (GET /outbox): what Vigil sent, and what became of it. */
export interface OutboxMessage {
  id: string;
  /** One address. */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `queued` also while no SMTP server is configured: the message stays in the outbox. */
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  createdAt: string;
  /** The last delivery error, while retrying or after giving up. */
  error?: string;
  /** When the SMTP server accepted it. */
  sentAt?: string;
}

export interface DisplayKey {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  /** Only in the creation response. */
  key?: string;
}

/** A real-time connection as GET /connections lists it (server/realtime/directory.ts). */
export interface ConnectionInfo {
  id: string;
  transport: 'ws' | 'socket.io';
  role: Role;
  user?: { id: string; username: string };
  displayKey?: { id: string; name?: string };
  ip: string;
  userAgent: string | null;
  connectedAt: string;
  topics: string[];
  /** The node (server process) holding it. */
  node: string;
}

/** A webhook (GET /webhooks): where the realm's events are POSTed, signed per Standard Webhooks. */
export interface Webhook {
  id: string;
  url: string;
  /** Event names; one ending in `*` matches every name it prefixes (`session.*`, `*`). */
  events: string[];
  description: string;
  /** False once disabled (by an admin, or after failing for the retry window: `webhook.disabled`). */
  enabled: boolean;
  createdAt: string;
  /** While deliveries fail: since when (the retry window counts from it); else null. */
  failingSince: string | null;
  /** The signing secret (`whsec_…`): only in the answer that creates the webhook. */
  secret?: string;
}

/** One delivery attempt (GET /webhooks/{id}/deliveries), newest first. */
export interface WebhookDelivery {
  webhookId: string;
  eventId: string;
  /** 1 for the first try of an event, counting up while it is retried. */
  attempt: number;
  /** The receiver's status; null when none came (refused, unreachable, timed out). */
  statusCode: number | null;
  durationMs: number;
  /** Null on success. */
  error: string | null;
  at: string;
}

/** Whether an event name matches a webhook's pattern: equal, or a `…*` pattern that prefixes it. */
export function eventMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

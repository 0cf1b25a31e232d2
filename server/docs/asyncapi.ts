/**
 * GET /docs/asyncapi.json: an AsyncAPI 3.0.0 document of the real-time protocol (CONTRACT.md,
 * "Real-time protocol"), the counterpart of /docs/openapi.json for the REST routes.
 *
 * It is built from the constants the server itself runs on (shared/protocol.ts: message types,
 * event names, close codes, limits; server/errors.ts: error codes), and the descriptions that
 * are words are keyed by those constants' types (`Record<…>`), so adding a message type, an
 * event or a close code without documenting it is a compile error, not a stale page.
 *
 * The document describes Vigil as the application: it `receive`s client → server messages and
 * `send`s server → client ones, on two channels — `/ws` (one JSON object per text frame) and
 * `/socket.io/` (each message a Socket.IO event named by its `type`, same payload). Servers'
 * hosts come from VIGIL_PUBLIC_URL (or the listening address), never from a request's Host.
 */
import type { FastifyInstance } from 'fastify';
import {
  AUTH_TIMEOUT_MS,
  BAD_MESSAGES_PER_MINUTE,
  CLIENT_MESSAGE_TYPES,
  CLOSE,
  DEVICE_TYPES,
  EVENT_NAMES,
  isCredentialEvent,
  MAX_FRAME_BYTES,
  MAX_REF_LENGTH,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
  MESSAGES_PER_SECOND,
  MAIL_EVENT_NAMES,
  OIDC_EVENT_NAMES,
  PROTOCOL_VERSION,
  ROLES,
  SERVER_MESSAGE_TYPES,
  SESSION_KINDS,
  TOPICS,
} from '../../shared/protocol.js';
import { errors } from '../errors.js';
import { STREAM_ID } from '../sessions/format.js';

type ClientType = (typeof CLIENT_MESSAGE_TYPES)[number];
type ServerType = (typeof SERVER_MESSAGE_TYPES)[number];
type Json = Record<string, unknown>;

const CLOSE_CODES: Record<keyof typeof CLOSE, { final: boolean; description: string }> = {
  GOING_AWAY: { final: false, description: 'The server is shutting down; reconnect (to another node) and resume with `since`.' },
  POLICY: { final: false, description: `Too many bad messages (more than ${BAD_MESSAGES_PER_MINUTE} a minute), or past ${MESSAGES_PER_SECOND} messages a second after VIGIL_ERR_RATE_LIMITED.` },
  TOO_BIG: { final: false, description: `A frame over ${MAX_FRAME_BYTES} bytes (${MAX_FRAME_BYTES / 1024} KiB).` },
  INTERNAL_ERROR: { final: false, description: 'The server could not set the connection up (e.g. Redis trouble); try again later.' },
  RECONNECT: { final: false, description: "The connection's authorisation changed (the user's roles): reconnect with the same credential to get the new role." },
  UNAUTHENTICATED: { final: true, description: `The credential ended (session ended, display key or access token revoked, access token expired), or no credential within ${AUTH_TIMEOUT_MS / 1000} s of opening /ws. Sign in again.` },
  FORBIDDEN: { final: true, description: 'Forbidden, or closed by an admin (DELETE /connections/{id}).' },
};

/** What `data` carries, per event name (CONTRACT.md's table, the README's additions). */
const EVENTS: Record<(typeof EVENT_NAMES)[number] | (typeof OIDC_EVENT_NAMES)[number] | (typeof MAIL_EVENT_NAMES)[number], string> & Record<string, string> = {
  'session.started': '`{}`; `{by: {username}}` when minted by POST /sessions. With `detail: "changes"` it still carries the whole session.',
  'session.activity': '`{source}` — coalesced to at most one per session per second, trailing: the last activity of each second is always announced.',
  'session.warning': '`{reason: "idle"|"max", expiresAt, idleTimeout}`',
  'session.extended': '`{}`',
  'session.updated': '`{fields: […]}` (e.g. idleTimeout after a token-lifetime change)',
  'session.expired': '`{reason: "idle"|"max"}` — final',
  'session.terminated': '`{reason: "admin"|"others"|"self"|"user-disabled"|"policy"|"credentials-changed"|"session-limit"|…, by: {username}}` — final',
  'session.ended': '`{reason: "logout"}` — final',
  'policy.updated': '`{fields: […]}`',
  'login.started': 'an OIDC sign-in began',
  'login.succeeded': 'a sign-in succeeded',
  'login.failed': '`{reason, ip, clientId?}` (reason e.g. invalid_credentials, disabled, required_action, session_limit), with `username` only when that user exists (else `unknownUser: true`)',
  'login.expired': 'an OIDC sign-in was not completed in time',
  'token.issued': 'OIDC tokens were issued',
  'token.refreshed': 'a refresh token was used',
  'token.reuse_detected': 'a rotated-out refresh token was presented again; the session ends',
  'token.revoked': 'a token was revoked (RFC 7009)',
  'code.expired': 'an authorization code expired unused',
  'display_key.revoked': '`{id, by}` — disconnects the walls using that key',
  'user.updated': '`{id, username, fields: ["roles"], by}` — closes that user\'s connections with 4000',
  'user.disabled': '`{id, …}` — closes that user\'s connections',
  'user.password_updated': '`{username, by, via: "required_action"|"action_token"|"self"}`',
  'action_token.issued': '`{username, operation: "reset-credentials"|"verify-email"|"execute-actions"|"idp-verify-account-via-email", actions: ["UPDATE_PASSWORD"|"VERIFY_EMAIL"|"LINK_IDP", …], expiresAt, by?: {username}}` — an e-mailed link was made (by: the admin who sent it)',
  'action_token.used': '`{username, operation, actions}` — a link did its actions (used up)',
  'action_token.rejected': '`{username, operation, reason: "expired"|"used"|"invalid", detail?: "superseded"|"account"}` — a genuine link was refused (a forged one names no one and is not announced)',
  'identity_provider.created': '`{alias, by}`',
  'identity_provider.updated': '`{alias, fields, by}` — `fields`: the names the change gave (a new client secret is named, never shown)',
  'identity_provider.deleted': '`{alias, by}` — the links of users to it go with it',
  'identity_provider.unlinked': '`{username, alias, by}` — an admin removed the user\'s link to the provider',
  'identity_provider.user_created': '`{username, alias}` — a first sign-in through the provider made the user',
  'identity_provider.linked': '`{username, alias}` — the user opened the idp-verify-account-via-email link: signing in through the provider signs in as them',
  'mail.sent': '`{messageId, to, subject, username, attempts}` — the SMTP server accepted a message',
  'mail.failed': '`{messageId, to, subject, username, attempts, error, final}` — a delivery attempt failed; it is retried with backoff unless `final`',
  'client.created': '`{clientId, by}`',
  'client.deleted': '`{clientId, by}`',
  'keys.rotated': '`{kid, by}`',
  'keys.retired': '`{kid, by}`',
  'realm.created': '`{realm, by}` (realm `default`)',
  'realm.deleted': '`{realm, by}` — closes the realm\'s connections',
  'webhook.disabled': '`{id, url, reason: "failing", failingSince, attempts, error}` — a webhook whose deliveries failed for the whole retry window (24 h) was disabled',
};
/** Families the contract announces for later capabilities, in the same envelope. */
const EVENT_FAMILIES = ['login', 'token', 'code', 'action_token', 'mail', 'webhook', 'display_key', 'user', 'client', 'realm', 'keys', 'identity_provider'];

const ref = (path: string) => ({ $ref: path });
const schema = (name: string) => ref(`#/components/schemas/${name}`);
const iso = { type: 'string', format: 'date-time', description: 'ISO 8601 UTC with milliseconds' };
const nullable = (s: Json) => ({ oneOf: [s, { type: 'null' }] });

function schemas(): Json {
  return {
    Cursor: { type: 'string', pattern: STREAM_ID.source, description: 'A stream cursor ("ms-seq"): an event id, a snapshot\'s or synced\'s cursor. Resume from it with `subscribe {since}`.', examples: ['1764577200000-0'] },
    Ref: { description: `Echoed in the answer. A string of at most ${MAX_REF_LENGTH} characters or a finite number; anything else is VIGIL_ERR_BAD_MESSAGE.`, oneOf: [{ type: 'string', maxLength: MAX_REF_LENGTH }, { type: 'number' }] },
    Topic: { type: 'string', enum: [...TOPICS], description: '`sessions` every session of the realm (viewer); `self` the caller\'s own session (a session token); `stats` the wall display\'s counters (viewer; a display key is a viewer credential).' },
    SessionDevice: {
      type: 'object', additionalProperties: false, required: ['browser', 'os', 'type'],
      description: 'What the server made of `origin.userAgent` (ua-parser-js); every field null when nothing was recognised (curl, scripts, no user agent): show the raw user agent then.',
      properties: {
        browser: { type: ['string', 'null'], description: 'Browser and major version', examples: ['Chrome 131', 'Firefox 133', 'Mobile Safari 17'] },
        os: { type: ['string', 'null'], description: 'Operating system and version', examples: ['Windows 10', 'iOS 17.5', 'Linux'] },
        type: { type: ['string', 'null'], enum: [...DEVICE_TYPES, null], description: '`desktop` when a browser or system was recognised and no other kind' },
      },
    },
    Session: {
      type: 'object', additionalProperties: false,
      required: ['id', 'realm', 'kind', 'user', 'clientId', 'state', 'createdAt', 'lastActivityAt', 'warnAt', 'expiresAt', 'maxExpiresAt', 'idleTimeout', 'origin', 'current'],
      properties: {
        id: { type: 'string', examples: ['s_4f2c…'] },
        realm: { type: 'string' },
        kind: { type: 'string', enum: [...SESSION_KINDS] },
        user: { type: 'object', required: ['id', 'username'], properties: { id: { type: 'string' }, username: { type: 'string' } } },
        clientId: { type: ['string', 'null'] },
        state: { type: 'string', enum: ['active', 'warning'] },
        createdAt: iso, lastActivityAt: iso, warnAt: iso, expiresAt: iso, maxExpiresAt: iso,
        idleTimeout: { type: 'integer', description: 'The idle limit in seconds' },
        origin: {
          type: 'object', additionalProperties: false, required: ['ip', 'userAgent', 'device'],
          properties: { ip: { type: ['string', 'null'] }, userAgent: { type: ['string', 'null'] }, device: schema('SessionDevice') },
        },
        current: { type: 'boolean', description: 'Relative to the caller; always false inside broadcast events (compare with hello.sessionId)' },
      },
    },
    SessionChanges: {
      type: 'object', required: ['id'], properties: { id: { type: 'string' } }, additionalProperties: true,
      description: 'With `detail: "changes"`: the session id and only the fields that changed.',
    },
    Event: {
      type: 'object', required: ['id', 'name', 'at', 'realm', 'sessionId', 'session', 'data'],
      description: 'The event envelope, the same on every transport, in webhooks and in GET /events.',
      properties: {
        id: schema('Cursor'),
        name: schema('EventName'),
        at: iso,
        realm: { type: 'string' },
        sessionId: { type: ['string', 'null'] },
        session: { oneOf: [schema('Session'), schema('SessionChanges'), { type: 'null' }] },
        data: { type: 'object', description: 'Per event name: see EventName' },
      },
    },
    EventName: {
      description: 'Events and their `data`:\n\n' + Object.entries(EVENTS).map(([n, d]) => `- \`${n}\`${isCredentialEvent(n) ? ' (admins only)' : ''}: ${d}`).join('\n')
        + `\n\nLater capabilities add more names in the families ${EVENT_FAMILIES.map((f) => `\`${f}.*\``).join(', ')}. Events about credentials (\`login.failed\`, \`token.*\`, \`action_token.*\`, \`mail.*\`) reach admins only.`,
      anyOf: [{ type: 'string', enum: Object.keys(EVENTS) }, { type: 'string', pattern: `^(${EVENT_FAMILIES.join('|')})\\.[a-z_]+$` }],
      'x-vigil-events': Object.fromEntries(Object.entries(EVENTS).map(([n, d]) => [n, { data: d, adminOnly: isCredentialEvent(n) }])),
    },
    Stats: {
      type: 'object', description: 'The GET /stats object',
      properties: {
        active: { type: 'integer' }, warning: { type: 'integer' },
        byKind: { type: 'object', properties: Object.fromEntries(SESSION_KINDS.map((k) => [k, { type: 'integer' }])) },
        lastHour: { type: 'object', properties: Object.fromEntries(['started', 'logins', 'expired', 'terminated', 'ended'].map((k) => [k, { type: 'integer' }])) },
        connectedClients: { type: 'integer' },
        serverTime: iso,
      },
    },
    ErrorCode: { type: 'string', enum: Object.keys(errors) },
  };
}

const obj = (type: string, properties: Json, required: string[] = []): Json => ({
  type: 'object', required: ['type', ...required], properties: { type: { type: 'string', const: type }, ...properties },
});

const CLIENT: Record<ClientType, { summary: string; payload: Json; example: Json }> = {
  auth: {
    summary: `Authenticates a raw /ws connection that has no cookie or Bearer header (first message, within ${AUTH_TIMEOUT_MS / 1000} s, else close 4401); later, a fresh token of the same session before the current one expires (Socket.IO: an \`auth\` event with \`{token}\`). Answered with an ack carrying the new \`expiresAt\`.`,
    payload: obj('auth', { token: { type: 'string', description: 'A session token, display key or OIDC access token' }, ref: schema('Ref') }, ['token']),
    example: { type: 'auth', token: 'vs_…', ref: 1 },
  },
  subscribe: {
    summary: 'Starts a topic. `stats`: the counters at once, then at most once a second while they change (it takes no `since`). `sessions`, `self`: without `since`, a snapshot, then live events. With `since`: every event after that cursor, then `synced`; a cursor too old gets a snapshot with `resync: true`. One subscribe per topic is in flight per connection (repeats coalesce; a replaced one is answered `ack {superseded: true}`).',
    payload: obj('subscribe', {
      topic: schema('Topic'),
      since: schema('Cursor'),
      filter: {
        type: 'object', additionalProperties: false, description: `\`sessions\` only: the snapshot and the events cover only matching sessions.`,
        properties: { user: { type: 'string', description: 'a username' }, kind: { type: 'string', enum: [...SESSION_KINDS] }, clientId: { type: 'string' } },
      },
      detail: { type: 'string', enum: ['full', 'changes'], default: 'full', description: `\`sessions\` only. With \`changes\`, \`session.started\` carries the whole session and every other session event only \`{id, …changed fields}\`; \`session.activity\` is coalesced per session within each batch.` },
      ref: schema('Ref'),
    }, ['topic']),
    example: { type: 'subscribe', topic: 'sessions', since: '1764577200000-0', ref: 'resume' },
  },
  unsubscribe: {
    summary: 'Stops a topic.',
    payload: obj('unsubscribe', { topic: schema('Topic'), ref: schema('Ref') }, ['topic']),
    example: { type: 'unsubscribe', topic: 'sessions' },
  },
  activity: {
    summary: "Activity on the caller's own session (needs a session token); ignored while the session is in warning.",
    payload: obj('activity', { ref: schema('Ref') }),
    example: { type: 'activity', ref: 7 },
  },
  extend: {
    summary: "Extends the caller's own session (needs a session token); always answered with an ack carrying the session, or VIGIL_ERR_NOT_EXTENDABLE for a hard-limit warning.",
    payload: obj('extend', { ref: schema('Ref') }),
    example: { type: 'extend' },
  },
};

const SERVER: Record<ServerType, { summary: string; payload: Json; example: Json }> = {
  hello: {
    summary: 'First message after authentication. `serverTime` lets clients correct clock skew in countdowns; `expiresAt` is when the credential itself ends (an access token\'s `exp`), else null.',
    payload: obj('hello', {
      protocol: { type: 'integer', const: PROTOCOL_VERSION }, serverTime: iso, role: { type: 'string', enum: [...ROLES] }, realm: { type: 'string' },
      sessionId: { type: ['string', 'null'] }, expiresAt: nullable(iso),
    }, ['protocol', 'serverTime', 'role', 'realm', 'sessionId', 'expiresAt']),
    example: { type: 'hello', protocol: PROTOCOL_VERSION, serverTime: '2026-12-01T08:00:00.000Z', role: 'admin', realm: 'default', sessionId: 's_…', expiresAt: null },
  },
  snapshot: {
    summary: 'The state of a topic; live events follow. `resync: true` when a `since` cursor was too old to replay.',
    payload: obj('snapshot', { topic: schema('Topic'), cursor: schema('Cursor'), sessions: { type: 'array', items: schema('Session') }, resync: { type: 'boolean' }, ref: schema('Ref') }, ['topic', 'cursor', 'sessions', 'resync']),
    example: { type: 'snapshot', topic: 'sessions', cursor: '1764577200000-0', sessions: [], resync: false },
  },
  events: {
    summary: 'A batch of events, flushed at least every 50 ms while events are pending. On `self`, the final event of the session is delivered before the connection closes with 4401.',
    payload: obj('events', { topic: schema('Topic'), events: { type: 'array', items: schema('Event') } }, ['topic', 'events']),
    example: { type: 'events', topic: 'sessions', events: [{ id: '1764577200123-0', name: 'session.warning', at: '2026-12-01T08:00:00.123Z', realm: 'default', sessionId: 's_…', session: null, data: { reason: 'idle', expiresAt: '2026-12-01T08:00:30.123Z', idleTimeout: 300 } }] },
  },
  synced: {
    summary: 'End of a replay after `subscribe {since}`: live events follow. No event is lost or duplicated across a reconnect that resumes.',
    payload: obj('synced', { topic: schema('Topic'), cursor: schema('Cursor'), ref: schema('Ref') }, ['topic', 'cursor']),
    example: { type: 'synced', topic: 'sessions', cursor: '1764577200000-0' },
  },
  stats: {
    summary: "The wall display's counters (the GET /stats object): at once on subscribe (with the subscribe's `ref`), then at most once a second while they change — none while nothing changes (`serverTime` aside).",
    payload: obj('stats', { topic: { type: 'string', const: 'stats' }, stats: schema('Stats'), ref: schema('Ref') }, ['topic', 'stats']),
    example: { type: 'stats', topic: 'stats', stats: { active: 3, warning: 1, byKind: { console: 2, sso: 2, offline: 0 }, lastHour: { started: 4, logins: 4, expired: 0, terminated: 0, ended: 0 }, connectedClients: 2, serverTime: '2026-12-01T08:00:00.000Z' } },
  },
  error: {
    summary: `A message was refused; the connection stays open. VIGIL_ERR_BAD_MESSAGE for non-JSON or unknown messages (past ${BAD_MESSAGES_PER_MINUTE} a minute: close 1008); VIGIL_ERR_RATE_LIMITED past ${MESSAGES_PER_SECOND} messages a second (then 1008).`,
    payload: obj('error', { code: schema('ErrorCode'), message: { type: 'string' }, ref: schema('Ref') }, ['code', 'message']),
    example: { type: 'error', code: 'VIGIL_ERR_BAD_MESSAGE', message: 'unknown message type "subscrbe"', ref: 3 },
  },
  ack: {
    summary: 'On /ws: the answer to a message that carried a `ref`, to every `extend` (with the session), to `auth` (with the new `expiresAt`) and to a subscribe replaced by a newer one (`superseded`). On Socket.IO the same object is the ack callback\'s argument (`{ok: true, …}` or the error object).',
    payload: obj('ack', { ok: { type: 'boolean', const: true }, ref: schema('Ref'), session: schema('Session'), expiresAt: nullable(iso), superseded: { type: 'boolean' } }, ['ok']),
    example: { type: 'ack', ok: true, ref: 7 },
  },
};

/** Which server messages answer each client message. */
const REPLIES: Record<ClientType, ServerType[]> = {
  auth: ['ack', 'error'],
  subscribe: ['snapshot', 'synced', 'stats', 'ack', 'error'],
  unsubscribe: ['ack', 'error'],
  activity: ['ack', 'error'],
  extend: ['ack', 'error'],
};

const TRANSPORTS = {
  ws: {
    path: '/ws',
    title: 'Raw WebSocket',
    description: 'One JSON object per text frame. The realm is `default` unless given as `?realm=`. Authenticate with the `vigil_session` cookie (browsers; the Origin must be allowed), `Authorization: Bearer`, or a first `auth` message.',
  },
  socketio: {
    path: '/socket.io/',
    title: 'Socket.IO',
    description: 'Socket.IO v4, default namespace. Each message is a Socket.IO event named by its `type`, with the same object as payload; client messages may take an ack callback, answered `{ok: true, …}` or the error object. Authenticate with the cookie, `Authorization: Bearer`, or `auth: {token, realm?}` in the handshake. Before a server-side disconnect the server emits `close {code, reason}` with the WebSocket close code.',
  },
} as const;
type Transport = keyof typeof TRANSPORTS;

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function closeCodesTable(): string {
  return '| code | name | final | meaning |\n|---|---|---|---|\n'
    + (Object.keys(CLOSE) as Array<keyof typeof CLOSE>).map((k) => `| ${CLOSE[k]} | ${k} | ${CLOSE_CODES[k].final ? 'yes' : 'no'} | ${CLOSE_CODES[k].description} |`).join('\n');
}

function limitsText(): string {
  return `Limits: a frame over ${MAX_FRAME_BYTES / 1024} KiB closes the connection (${CLOSE.TOO_BIG}); more than ${BAD_MESSAGES_PER_MINUTE} bad messages a minute closes it (${CLOSE.POLICY}); past ${MESSAGES_PER_SECOND} messages a second a client gets VIGIL_ERR_RATE_LIMITED, then ${CLOSE.POLICY}; an address may hold at most ${MAX_UNAUTHENTICATED_PER_ADDRESS} connections that have not authenticated yet; a raw WebSocket must authenticate within ${AUTH_TIMEOUT_MS / 1000} s.`;
}

function message(type: string, m: { summary: string; payload: Json; example: Json }): Json {
  return { name: type, title: type, summary: m.summary, contentType: 'application/json', payload: m.payload, examples: [{ name: type, payload: m.example }] };
}

/** The AsyncAPI 3.0.0 document, for a server reached at `publicUrl` (e.g. "https://vigil.example.com/base"). */
export function asyncApiDocument(publicUrl: string): Json {
  const base = new URL(publicUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const protocol = base.protocol === 'https:' ? 'wss' : 'ws';
  const messageRefs = (transport: Transport) => {
    const out: Json = {};
    for (const t of [...CLIENT_MESSAGE_TYPES, ...SERVER_MESSAGE_TYPES]) out[t] = ref(`#/components/messages/${t}`);
    if (transport === 'socketio') out.close = ref('#/components/messages/close');
    return out;
  };
  const channels: Json = {};
  const operations: Json = {};
  const servers: Json = {};
  for (const transport of Object.keys(TRANSPORTS) as Transport[]) {
    const t = TRANSPORTS[transport];
    servers[transport] = {
      host: base.host, pathname: `${prefix}${t.path}`, protocol, title: t.title, description: t.description,
      security: [ref('#/components/securitySchemes/bearer'), ref('#/components/securitySchemes/cookie')],
    };
    channels[transport] = {
      address: `${prefix}${t.path}`, title: t.title, servers: [ref(`#/servers/${transport}`)],
      description: `${t.description}\n\n${limitsText()}\n\nClose codes:\n\n${closeCodesTable()}`,
      messages: messageRefs(transport),
      ...(transport === 'ws' ? { bindings: { ws: { method: 'GET', query: { type: 'object', properties: { realm: { type: 'string', default: 'default' } } }, bindingVersion: '0.1.0' } } } : {}),
    };
    for (const c of CLIENT_MESSAGE_TYPES) {
      operations[`${transport}Receive${cap(c)}`] = {
        action: 'receive', channel: ref(`#/channels/${transport}`), title: `${c} (${t.title})`, summary: CLIENT[c].summary,
        messages: [ref(`#/channels/${transport}/messages/${c}`)],
        reply: { channel: ref(`#/channels/${transport}`), messages: REPLIES[c].map((r) => ref(`#/channels/${transport}/messages/${r}`)) },
      };
    }
    for (const s of SERVER_MESSAGE_TYPES) {
      operations[`${transport}Send${cap(s)}`] = {
        action: 'send', channel: ref(`#/channels/${transport}`), title: `${s} (${t.title})`, summary: SERVER[s].summary,
        messages: [ref(`#/channels/${transport}/messages/${s}`)],
      };
    }
  }
  operations.socketioSendClose = {
    action: 'send', channel: ref('#/channels/socketio'), title: 'close (Socket.IO)', summary: 'Sent just before a server-side disconnect, with the WebSocket close code.',
    messages: [ref('#/channels/socketio/messages/close')],
  };

  const messages: Json = {};
  for (const c of CLIENT_MESSAGE_TYPES) messages[c] = message(c, CLIENT[c]);
  for (const s of SERVER_MESSAGE_TYPES) messages[s] = message(s, SERVER[s]);
  messages.close = {
    name: 'close', title: 'close', contentType: 'application/json',
    summary: 'Socket.IO only (the raw WebSocket closes with the code itself): the close code and reason, just before the server disconnects.',
    payload: { type: 'object', required: ['code', 'reason'], properties: { code: { type: 'integer', enum: Object.values(CLOSE) }, reason: { type: 'string' } } },
    examples: [{ name: 'close', payload: { code: CLOSE.UNAUTHENTICATED, reason: 'session ended' } }],
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Vigil real-time protocol',
      version: String(PROTOCOL_VERSION),
      description: `Live sessions, expiry warnings and counters over a raw WebSocket (\`/ws\`) and Socket.IO (\`/socket.io/\`), carrying the same messages. Protocol version ${PROTOCOL_VERSION} (\`hello.protocol\`).\n\n${limitsText()}\n\nClose codes (Socket.IO: a \`close\` event):\n\n${closeCodesTable()}`,
      externalDocs: { description: 'The REST API', url: `${publicUrl.replace(/\/+$/, '')}/docs` },
    },
    defaultContentType: 'application/json',
    servers,
    channels,
    operations,
    components: {
      schemas: schemas(),
      messages,
      securitySchemes: {
        // the third way, an in-band credential (/ws: a first `auth` message; Socket.IO: `auth: {token}`), has no AsyncAPI scheme: the servers' descriptions and the auth message say it
        bearer: { type: 'http', scheme: 'bearer', description: 'A session token (`vs_…`), display key (`vk_…`) or OIDC access token, on the upgrade request' },
        cookie: { type: 'httpApiKey', name: 'vigil_session', in: 'cookie', description: 'The dashboard\'s cookie; the upgrade\'s Origin must be allowed (VIGIL_ALLOWED_ORIGINS)' },
      },
    },
    'x-vigil-close-codes': Object.fromEntries((Object.keys(CLOSE) as Array<keyof typeof CLOSE>).map((k) => [String(CLOSE[k]), { name: k, ...CLOSE_CODES[k] }])),
    'x-vigil-limits': {
      maxFrameBytes: MAX_FRAME_BYTES, messagesPerSecond: MESSAGES_PER_SECOND, badMessagesPerMinute: BAD_MESSAGES_PER_MINUTE,
      authTimeoutMs: AUTH_TIMEOUT_MS, maxUnauthenticatedPerAddress: MAX_UNAUTHENTICATED_PER_ADDRESS, maxRefLength: MAX_REF_LENGTH,
    },
  };
}

/** Serves the document at GET /docs/asyncapi.json, built once per public URL. */
export async function asyncApiRoute(app: FastifyInstance): Promise<void> {
  let cached: { url: string; body: string } | null = null;
  app.get('/docs/asyncapi.json', async (_req, reply) => {
    const url = app.publicUrl();
    if (cached?.url !== url) cached = { url, body: JSON.stringify(asyncApiDocument(url)) };
    return reply.type('application/json; charset=utf-8').send(cached.body);
  });
}

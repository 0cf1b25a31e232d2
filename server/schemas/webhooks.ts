/** Webhooks and their delivery log (server/outbound). */
import { Type } from 'typebox';
import { Timestamp } from './common.js';
import { STREAM_ID } from '../sessions/format.js';

/** An event name, or a prefix of names ending in `*` (`session.*`, `login.*`, `*`). */
export const EVENT_PATTERN = '^(\\*|[a-z][a-z_]*(\\.[a-z_]+)*(\\.\\*|\\*)?)$';

export const Webhook = Type.Object({
  id: Type.String({ examples: ['wh_Zk3v9QpL2x8a'] }),
  url: Type.String({ description: 'Where the events are POSTed' }),
  events: Type.Array(Type.String(), { description: 'Event names; one ending in `*` matches every name it prefixes' }),
  description: Type.String(),
  enabled: Type.Boolean({ description: 'False once disabled, by an admin or after failing for 24 h (webhook.disabled)' }),
  createdAt: Timestamp('When it was made'),
  failingSince: Type.Union([Timestamp('Since when deliveries fail'), Type.Null()], { description: 'While deliveries fail: since when; else null' }),
  secret: Type.Optional(Type.String({ description: 'The signing secret (whsec_…): only in the answer that creates the webhook' })),
}, { $id: 'Webhook', title: 'Webhook' });

export const WebhookDelivery = Type.Object({
  webhookId: Type.String(),
  eventId: Type.String({ description: 'The event\'s id (its stream id; the webhook-id header is `<realm>:<event id>`)' }),
  attempt: Type.Integer({ minimum: 1, description: '1 for an event\'s first try, counting up while it is retried' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: 'The receiver\'s status; null when none came' }),
  durationMs: Type.Integer({ minimum: 0 }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Null on success' }),
  at: Timestamp('When the attempt was made'),
}, { $id: 'WebhookDelivery', title: 'WebhookDelivery' });

const url = Type.String({ maxLength: 2000, description: 'An http(s) URL; not a private or loopback address unless VIGIL_WEBHOOK_ALLOW_PRIVATE=1' });
const events = Type.Array(Type.String({ pattern: EVENT_PATTERN, maxLength: 100, description: 'an event name, or a prefix ending in *' }), { minItems: 1, maxItems: 100 });
const description = Type.String({ maxLength: 500 });

export const WebhookCreateBody = Type.Object({
  url,
  events,
  description: Type.Optional(description),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
}, { additionalProperties: false, title: 'webhook' });

export const WebhookPatchBody = Type.Object({
  url: Type.Optional(url),
  events: Type.Optional(events),
  description: Type.Optional(description),
  enabled: Type.Optional(Type.Boolean({ description: 'false stops deliveries; true resumes them with the events from now on' })),
}, { additionalProperties: false, title: 'webhook' });

export const RedeliverBody = Type.Object({
  eventId: Type.String({ pattern: STREAM_ID.source, description: 'The id of an event still in the realm\'s stream' }),
}, { additionalProperties: false, title: 'redelivery' });

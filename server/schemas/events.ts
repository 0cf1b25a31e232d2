/** The event envelope (CONTRACT.md, Real-time protocol) as GET /events answers it, and that route's query. */
import { Type } from 'typebox';
import { literals, Timestamp } from './common.js';

export const Event = Type.Object({
  id: Type.String({ description: 'The stream id: the cursor real-time clients resume from', examples: ['1764590106123-0'] }),
  name: Type.String({ examples: ['session.started'] }),
  at: Timestamp('When it happened'),
  realm: Type.String(),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  session: Type.Union([Type.Ref('Session'), Type.Null()], { description: 'The session as it was at the event' }),
  data: Type.Object({}, { additionalProperties: true, description: 'Per event name (CONTRACT.md, the event table)' }),
}, { $id: 'Event', title: 'Event' });

export const EVENT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

export const EventQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Events recorded at or after this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Events recorded before this time' })),
  name: Type.Optional(Type.String({
    pattern: '^([A-Za-z0-9_.-]{1,64}\\*?|\\*)$', description: 'an event name, or a prefix ending in * (like session.*)',
  })),
  user: Type.Optional(Type.String({ maxLength: 64, description: 'A username: the events of that user\'s sessions, and those naming the user' })),
  sessionId: Type.Optional(Type.String({ maxLength: 64, description: 'A session id (s_…)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Events per page (json), default 100' })),
  cursor: Type.Optional(Type.String({
    pattern: '^\\d{1,16}-\\d{1,19}$', description: 'a nextCursor this server returned (the previous page\'s)',
  })),
  format: Type.Optional(literals(EVENT_FORMATS)),
}, { additionalProperties: false, title: 'query' });

export const EventPage = Type.Object({
  events: Type.Array(Type.Ref('Event')),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null once the selection has been read to its end' }),
}, { description: 'A page of events, oldest first' });

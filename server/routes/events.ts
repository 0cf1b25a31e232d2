/** The realm's event history: GET /events, a page of JSON or the whole selection as a download. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { identify, need, realmOf } from '../auth/guard.js';
import { hasRole } from '../auth/principal.js';
import { csvHeader, csvRow, type HistoryQuery } from '../sessions/history.js';
import { errorResponses } from '../schemas/errors.js';
import { RealmParams, SECURITY } from '../schemas/common.js';
import { EventPage, EventQuery } from '../schemas/events.js';

const DEFAULT_LIMIT = 100;

const EXPORTS = {
  ndjson: { type: 'application/x-ndjson; charset=utf-8', extension: 'ndjson' },
  csv: { type: 'text/csv; charset=utf-8', extension: 'csv' },
} as const;

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { history } = app;
  app.addHook('preValidation', identify);

  app.get('/events', {
    preValidation: need('viewer'),
    schema: {
      tags: ['events'], security: SECURITY, params: RealmParams, querystring: EventQuery, summary: 'Read the event history',
      description: 'The realm\'s recorded events (the real-time envelope), oldest first, filtered by time (since inclusive, until exclusive), name (exact, or a prefix ending in *), user (a username) and sessionId. '
        + 'format=json (default) answers a page of at most `limit` events and a `nextCursor`: the next page starts right after it, so paging never repeats or skips an event. '
        + 'format=ndjson (application/x-ndjson, one event per line) and format=csv (text/csv, a header row) stream the whole selection, from `cursor` if given, as a download (`limit` does not apply). '
        + 'Events about credentials (login.failed, token.*, action_token.*, mail.*) are listed for admins only. Retention: VIGIL_EVENT_RETENTION_DAYS and VIGIL_EVENT_RETENTION_COUNT.',
      response: {
        200: {
          description: 'A page of events (json), or the whole selection as NDJSON or CSV',
          content: {
            'application/json': { schema: EventPage },
            'application/x-ndjson': { schema: Type.String({ description: 'One event envelope (JSON) per line' }) },
            'text/csv': { schema: Type.String({ description: 'A header row (id,at,realm,name,sessionId,user,kind,clientId,data), then one row per event' }) },
          },
        },
        ...errorResponses(401, 403, 404),
      },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const q = req.query;
    const query: HistoryQuery = {
      admin: hasRole(req.principal!, 'admin'),
      ...(q.since !== undefined ? { since: Date.parse(q.since) } : {}),
      ...(q.until !== undefined ? { until: Date.parse(q.until) } : {}),
      ...(q.name !== undefined ? { name: q.name } : {}),
      ...(q.user !== undefined ? { user: q.user } : {}),
      ...(q.sessionId !== undefined ? { sessionId: q.sessionId } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    };
    const format = q.format ?? 'json';
    if (format === 'json') return reply.type('application/json; charset=utf-8').send(await history.page(realm, query, q.limit ?? DEFAULT_LIMIT));

    const { type, extension } = EXPORTS[format];
    const pages = await history.all(realm, query);
    // a page at a time: the stream pulls the next page only when the client has read the last
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield csvHeader();
      for await (const events of pages) {
        yield events.map((e) => (format === 'csv' ? csvRow(e) : `${JSON.stringify(e)}\n`)).join('');
      }
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return reply
      .type(type)
      .header('content-disposition', `attachment; filename="vigil-events-${realm}-${stamp}.${extension}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines(), { objectMode: false }) as never); // a stream is piped, not serialized: the schema types only the JSON answer
  });
};

/** Webhooks (admin): register, change, remove; read the delivery log and ask for a redelivery. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vigilError } from '../errors.js';
import { identify, need, realmOf } from '../auth/guard.js';
import { errorResponses } from '../schemas/errors.js';
import { NoContent, RealmParams, realmParams, SECURITY } from '../schemas/common.js';
import { RedeliverBody, WebhookCreateBody, WebhookPatchBody } from '../schemas/webhooks.js';

const hooks_ = { tags: ['webhooks'], security: SECURITY };
const ById = realmParams('id', Type.String({ maxLength: 64, description: 'A webhook id (wh_…)' }));
const WebhookBody = Type.Object({ webhook: Type.Ref('Webhook') }, { description: 'The webhook' });

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { outbound } = app;
  const hooks = outbound.webhooks;
  // before validation, as before schemas: a caller who may not use a route learns nothing of its rules
  app.addHook('preValidation', identify);

  const found = async (realm: string, id: string) => {
    const w = await hooks.get(realm, id);
    if (!w) throw vigilError('VIGIL_ERR_NOT_FOUND', `no webhook ${id} in realm ${realm}`);
    return w;
  };

  app.get('/webhooks', {
    preValidation: need('admin'),
    schema: { ...hooks_, params: RealmParams, summary: 'List webhooks', description: 'Their secrets are never shown again.', response: { 200: Type.Object({ webhooks: Type.Array(Type.Ref('Webhook')) }, { description: 'The realm\'s webhooks, oldest first' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ webhooks: await hooks.list(realmOf(req)) }));

  app.post('/webhooks', {
    preValidation: need('admin'),
    schema: {
      ...hooks_, params: RealmParams, summary: 'Register a webhook',
      description: 'The events after now whose names match `events` are POSTed to `url`, signed per Standard Webhooks with the secret (whsec_…) in this answer only; at least once, in stream order, retried with backoff for up to 24 h. A literal private or loopback address is refused (400) unless VIGIL_WEBHOOK_ALLOW_PRIVATE=1; a name is checked again, resolved, at each delivery.',
      body: WebhookCreateBody, response: { 201: Type.Object({ webhook: Type.Ref('Webhook') }, { description: 'Registered: the secret is in this answer only' }), ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req, reply) => {
    const webhook = await hooks.create(realmOf(req), req.body);
    return reply.code(201).send({ webhook });
  });

  app.get('/webhooks/:id', {
    preValidation: need('admin'),
    schema: { ...hooks_, params: ById, summary: 'Read a webhook', response: { 200: WebhookBody, ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ webhook: await found(realmOf(req), req.params.id) }));

  app.patch('/webhooks/:id', {
    preValidation: need('admin'),
    schema: {
      ...hooks_, params: ById, summary: 'Change a webhook', description: '`enabled: false` stops deliveries; `true` resumes them from now on. A change retries a failing delivery at once.',
      body: WebhookPatchBody, response: { 200: WebhookBody, ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const webhook = await hooks.patch(realm, req.params.id, req.body);
    if (webhook.enabled) await outbound.retryNow(realm, webhook.id);
    return { webhook };
  });

  app.delete('/webhooks/:id', {
    preValidation: need('admin'),
    schema: { ...hooks_, params: ById, summary: 'Remove a webhook', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    if (!(await hooks.remove(realmOf(req), req.params.id))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no webhook ${req.params.id}`);
    return reply.code(204).send();
  });

  app.get('/webhooks/:id/deliveries', {
    preValidation: need('admin'),
    schema: { ...hooks_, params: ById, summary: 'A webhook\'s delivery attempts', description: 'Newest first, the last 200.', response: { 200: Type.Object({ deliveries: Type.Array(Type.Ref('WebhookDelivery')) }, { description: 'The attempts' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const realm = realmOf(req);
    await found(realm, req.params.id);
    return { deliveries: await hooks.deliveries(realm, req.params.id) };
  });

  app.post('/webhooks/:id/deliveries', {
    preValidation: need('admin'),
    schema: {
      ...hooks_, params: ById, summary: 'Redeliver an event',
      description: 'Delivers one event still in the realm\'s stream to this webhook once more (a replay, outside the stream order), as a new attempt in the log.',
      body: RedeliverBody, response: { 202: Type.Object({ eventId: Type.String() }, { description: 'Queued' }), ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    await found(realm, req.params.id);
    if (!(await outbound.redeliver(realm, req.params.id, req.body.eventId))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no event ${req.body.eventId} in the stream of realm ${realm}`);
    return reply.code(202).send({ eventId: req.body.eventId });
  });
};

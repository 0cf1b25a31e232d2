/** Admin REST API for a realm's OIDC clients (/api/v1/realms/{realm}/clients) and signing keys (/keys/rotate, DELETE /keys/{kid}). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { identify, need, realmOf } from '../auth/guard.js';
import { vigilError } from '../errors.js';
import { errorResponses } from '../schemas/errors.js';
import { NoContent, RealmParams, realmParams, SECURITY } from '../schemas/common.js';
import { ClientCreateBody, ClientParams, ClientPatchBody } from '../schemas/clients.js';

const clients_ = { tags: ['clients'], security: SECURITY };
const ByClientId = realmParams('clientId', ClientParams.properties.clientId);
const ClientBody = Type.Object({ client: Type.Ref('OidcClient') }, { description: 'The client' });

export const clientRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { engine } = app;
  const clients = app.oidc.clients;
  // before validation, as before schemas: a caller who may not use a route learns nothing of its rules
  app.addHook('preValidation', identify);

  app.get('/clients', {
    preValidation: need('admin'),
    schema: { ...clients_, params: RealmParams, summary: 'List OIDC clients', response: { 200: Type.Object({ clients: Type.Array(Type.Ref('OidcClient')) }, { description: 'The realm\'s clients' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ clients: await clients.list(realmOf(req)) }));

  app.post('/clients', {
    preValidation: need('admin'),
    schema: {
      ...clients_, params: RealmParams, summary: 'Create an OIDC client', description: 'A confidential client (publicClient false, the default) gets a generated secret, returned in this answer only.',
      body: ClientCreateBody, response: { 201: ClientBody, ...errorResponses(401, 403, 404, 409, 413) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const { client, secret } = await clients.create(realm, req.body);
    if (client.backchannelLogoutUrl) await app.outbound.watchBackchannel(realm);
    await engine.emit(realm, 'client.created', { clientId: client.clientId, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(201).send({ client: secret ? { ...client, secret } : client });
  });

  app.get('/clients/:clientId', {
    preValidation: need('admin'),
    schema: { ...clients_, params: ByClientId, summary: 'Read an OIDC client', response: { 200: ClientBody, ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const realm = realmOf(req);
    const client = await clients.get(realm, req.params.clientId);
    if (!client) throw vigilError('VIGIL_ERR_NOT_FOUND', `no client ${req.params.clientId} in realm ${realm}`);
    return { client };
  });

  app.patch('/clients/:clientId', {
    preValidation: need('admin'),
    schema: {
      ...clients_, params: ByClientId, summary: 'Change an OIDC client', description: 'Turning a public client confidential returns its first secret, once.',
      body: ClientPatchBody, response: { 200: ClientBody, ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const { client, secret } = await clients.patch(realm, req.params.clientId, req.body);
    if (client.backchannelLogoutUrl) await app.outbound.watchBackchannel(realm);
    return { client: secret ? { ...client, secret } : client };
  });

  // signing-key rotation: a new active key; the old one stays in the JWKS, so that the tokens it
  // signed still verify, for as long as such a token can live, then leaves it
  app.post('/keys/rotate', {
    preValidation: need('admin'),
    schema: {
      ...clients_, params: RealmParams, summary: 'Rotate the signing key', description: 'A new active key; the old one stays in the JWKS as long as a token it signed can live.',
      response: { 200: Type.Object({ kid: Type.String({ description: 'The new active key' }) }, { description: 'Rotated' }), ...errorResponses(401, 403, 404) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const oidc = app.oidc;
    const kid = await oidc.signing.rotate(realm, (await oidc.longestTokenLifetime(realm)) * 1000);
    await engine.emit(realm, 'keys.rotated', { kid, by: { username: req.principal!.user?.username ?? null } });
    return { kid };
  });

  // retiring a key at once (say it leaked): it leaves the JWKS and no token it signed verifies any
  // more, in every process; the active key must be rotated out first
  app.delete('/keys/:kid', {
    preValidation: need('admin'),
    schema: {
      ...clients_, params: realmParams('kid', Type.String({ maxLength: 200 })), summary: 'Retire a signing key',
      description: 'At once: it leaves the JWKS and no token it signed verifies any more; the active key must be rotated out first (409).',
      response: { 204: NoContent, ...errorResponses(401, 403, 404, 409) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const { kid } = req.params;
    const r = await app.oidc.signing.retire(realm, kid);
    if (r === 'unknown') throw vigilError('VIGIL_ERR_NOT_FOUND', `no signing key ${kid} in realm ${realm}`);
    if (r === 'active') throw vigilError('VIGIL_ERR_CONFLICT', `key ${kid} is the active signing key of realm ${realm}; rotate first (POST /keys/rotate), then retire it`);
    await engine.emit(realm, 'keys.retired', { kid, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(204).send();
  });

  app.delete('/clients/:clientId', {
    preValidation: need('admin'),
    schema: { ...clients_, params: ByClientId, summary: 'Delete an OIDC client', description: 'Its sessions end with it, as in Keycloak.', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const clientId = req.params.clientId;
    if (!(await clients.remove(realm, clientId))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no client ${clientId} in realm ${realm}`);
    // a deleted client's sessions end with it, as in Keycloak
    const hashes = await engine.hashes(realm, await engine.sessionIds(realm));
    const ids = hashes.filter((h) => h.c === clientId).map((h) => String(h.id));
    await engine.terminateMany(realm, ids, 'admin', req.principal!.user?.username ?? null);
    await engine.emit(realm, 'client.deleted', { clientId, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(204).send();
  });
};

/** Admin REST API for a realm's OIDC clients (/api/v1/realms/{realm}/clients) and signing keys (/keys/rotate, DELETE /keys/{kid}). */
import type { FastifyInstance } from 'fastify';
import { identify, need, realmOf } from '../auth/guard.js';
import { vigilError } from '../errors.js';
import { objectBody } from '../routes/validate.js';

export async function clientRoutes(app: FastifyInstance): Promise<void> {
  const { engine } = app.vigil;
  const clients = app.vigil.oidc!.clients;
  app.addHook('preHandler', identify);
  const id = (params: unknown) => (params as { clientId: string }).clientId;

  app.get('/clients', { preHandler: need('admin') }, async (req) => ({ clients: await clients.list(realmOf(req)) }));

  app.post('/clients', { preHandler: need('admin') }, async (req, reply) => {
    const realm = realmOf(req);
    const { client, secret } = await clients.create(realm, objectBody(req.body));
    await engine.emit(realm, 'client.created', { clientId: client.clientId, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(201).send({ client: secret ? { ...client, secret } : client });
  });

  app.get('/clients/:clientId', { preHandler: need('admin') }, async (req) => {
    const realm = realmOf(req);
    const client = await clients.get(realm, id(req.params));
    if (!client) throw vigilError('VIGIL_ERR_NOT_FOUND', `no client ${id(req.params)} in realm ${realm}`);
    return { client };
  });

  app.patch('/clients/:clientId', { preHandler: need('admin') }, async (req) => {
    const realm = realmOf(req);
    const { client, secret } = await clients.patch(realm, id(req.params), objectBody(req.body));
    return { client: secret ? { ...client, secret } : client };
  });

  // signing-key rotation: a new active key; the old one stays in the JWKS, so that the tokens it
  // signed still verify, for as long as such a token can live, then leaves it
  app.post('/keys/rotate', { preHandler: need('admin') }, async (req) => {
    const realm = realmOf(req);
    const oidc = app.vigil.oidc!;
    const kid = await oidc.signing.rotate(realm, (await oidc.longestTokenLifetime(realm)) * 1000);
    await engine.emit(realm, 'keys.rotated', { kid, by: { username: req.principal!.user?.username ?? null } });
    return { kid };
  });

  // retiring a key at once (say it leaked): it leaves the JWKS and no token it signed verifies any
  // more, in every process; the active key must be rotated out first
  app.delete('/keys/:kid', { preHandler: need('admin') }, async (req, reply) => {
    const realm = realmOf(req);
    const { kid } = req.params as { kid: string };
    const r = await app.vigil.oidc!.signing.retire(realm, kid);
    if (r === 'unknown') throw vigilError('VIGIL_ERR_NOT_FOUND', `no signing key ${kid} in realm ${realm}`);
    if (r === 'active') throw vigilError('VIGIL_ERR_CONFLICT', `key ${kid} is the active signing key of realm ${realm}; rotate first (POST /keys/rotate), then retire it`);
    await engine.emit(realm, 'keys.retired', { kid, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(204).send();
  });

  app.delete('/clients/:clientId', { preHandler: need('admin') }, async (req, reply) => {
    const realm = realmOf(req);
    const clientId = id(req.params);
    if (!(await clients.remove(realm, clientId))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no client ${clientId} in realm ${realm}`);
    // a deleted client's sessions end with it, as in Keycloak
    const hashes = await engine.hashes(realm, await engine.sessionIds(realm));
    const ids = hashes.filter((h) => h.c === clientId).map((h) => String(h.id));
    await engine.terminateMany(realm, ids, 'admin', req.principal!.user?.username ?? null);
    await engine.emit(realm, 'client.deleted', { clientId, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(204).send();
  });
}

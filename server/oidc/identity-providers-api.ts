/** Admin REST API for a realm's identity providers (/api/v1/realms/{realm}/identity-providers). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { identify, need, realmOf } from '../auth/guard.js';
import { vigilError } from '../errors.js';
import { errorResponses } from '../schemas/errors.js';
import { NoContent, RealmParams, realmParams, SECURITY } from '../schemas/common.js';
import { UserParams } from '../schemas/users.js';
import { AliasParam, IdentityProviderCreateBody, IdentityProviderPatchBody, SignInProvider } from '../schemas/identity-providers.js';

const idps_ = { tags: ['identity-providers'], security: SECURITY };
const ByAlias = realmParams('alias', AliasParam);
const ByUser = realmParams('username', UserParams.properties.username);
const ByUserAlias = Type.Object({ ...ByUser.properties, alias: AliasParam }, { additionalProperties: false });
const One = Type.Object({ identityProvider: Type.Ref('IdentityProvider') }, { description: 'The identity provider' });

export const identityProviderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { engine, users } = app;
  const idps = app.oidc.identityProviders;
  app.addHook('preValidation', identify);

  app.get('/identity-providers', {
    preValidation: need('admin'),
    schema: { ...idps_, params: RealmParams, summary: 'List identity providers', response: { 200: Type.Object({ identityProviders: Type.Array(Type.Ref('IdentityProvider')) }, { description: 'The realm\'s identity providers, by alias' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ identityProviders: await idps.list(realmOf(req)) }));

  app.post('/identity-providers', {
    preValidation: need('admin'),
    schema: {
      ...idps_, params: RealmParams, body: IdentityProviderCreateBody, summary: 'Add an identity provider',
      description: 'An upstream OpenID Connect provider the realm\'s sign-in page offers. Register {public URL}/realms/{realm}/broker/{alias}/endpoint as the redirect URI of the client at the upstream. A first sign-in through it creates the user — or, when its e-mail matches an existing user, e-mails that user an idp-verify-account-via-email link that links the accounts once used.',
      response: { 201: One, ...errorResponses(401, 403, 404, 409, 413) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const identityProvider = await idps.create(realm, req.body);
    await engine.emit(realm, 'identity_provider.created', { alias: identityProvider.alias, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(201).send({ identityProvider });
  });

  app.get('/identity-providers/:alias', {
    preValidation: need('admin'),
    schema: { ...idps_, params: ByAlias, summary: 'Read an identity provider', response: { 200: One, ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const identityProvider = await idps.get(realmOf(req), req.params.alias);
    if (!identityProvider) throw vigilError('VIGIL_ERR_NOT_FOUND', `no identity provider ${req.params.alias}`);
    return { identityProvider };
  });

  app.patch('/identity-providers/:alias', {
    preValidation: need('admin'),
    schema: {
      ...idps_, params: ByAlias, body: IdentityProviderPatchBody, summary: 'Change an identity provider',
      description: 'Changes the fields given; the client secret is kept unless one is given. The alias, part of the redirect URI registered at the upstream, cannot change.',
      response: { 200: One, ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const identityProvider = await idps.update(realm, req.params.alias, req.body);
    if (!identityProvider) throw vigilError('VIGIL_ERR_NOT_FOUND', `no identity provider ${req.params.alias}`);
    await engine.emit(realm, 'identity_provider.updated', { alias: identityProvider.alias, fields: Object.keys(req.body).sort(), by: { username: req.principal!.user?.username ?? null } });
    return { identityProvider };
  });

  app.get('/login/identity-providers', {
    schema: {
      tags: ['sign-in'], params: RealmParams, summary: 'Identity providers to sign in with',
      description: 'Unauthenticated, for sign-in forms: each provider\'s alias and button text. A form posts to /realms/{realm}/broker/{alias}/console-login to sign in to the dashboard through it.',
      response: { 200: Type.Object({ identityProviders: Type.Array(SignInProvider) }, { description: 'The realm\'s providers, by alias' }), ...errorResponses(401, 404) },
    },
  }, async (req) => ({ identityProviders: (await idps.list(realmOf(req))).map((p) => ({ alias: p.alias, displayName: p.displayName })) }));

  app.delete('/identity-providers/:alias', {
    preValidation: need('admin'),
    schema: { ...idps_, params: ByAlias, summary: 'Remove an identity provider', description: 'Its sign-in button goes, and so do the links of users to it (a provider added later under the same alias links no one); the accounts stay, with their passwords.', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const realm = realmOf(req);
    if (!(await idps.remove(realm, req.params.alias))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no identity provider ${req.params.alias}`);
    await users.unlinkProvider(realm, req.params.alias);
    await engine.emit(realm, 'identity_provider.deleted', { alias: req.params.alias, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(204).send();
  });

  const userOf = async (realm: string, username: string) => {
    const user = await users.byUsername(realm, username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${username} in realm ${realm}`);
    return user;
  };

  app.get('/users/:username/identity-links', {
    preValidation: need('admin'),
    schema: { ...idps_, params: ByUser, summary: 'A user\'s identity provider links', description: 'Made by a first sign-in through a provider, or by the idp-verify-account-via-email link.', response: { 200: Type.Object({ identityLinks: Type.Array(Type.Ref('IdentityLink')) }, { description: 'By provider alias' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const realm = realmOf(req);
    return { identityLinks: await users.identityLinks(realm, (await userOf(realm, req.params.username)).id) };
  });

  app.delete('/users/:username/identity-links/:alias', {
    preValidation: need('admin'),
    schema: { ...idps_, params: ByUserAlias, summary: 'Unlink a user from an identity provider', description: 'Signing in through the provider no longer signs in as the user (a next first sign-in there makes a new user, or, by e-mail, mails this user a link again). Sessions already started stay.', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const user = await userOf(realm, req.params.username);
    if (!(await users.unlinkIdentity(realm, user.id, req.params.alias))) throw vigilError('VIGIL_ERR_NOT_FOUND', `${user.username} is not linked to ${req.params.alias}`);
    await engine.emit(realm, 'identity_provider.unlinked', { username: user.username, alias: req.params.alias, by: { username: req.principal!.user?.username ?? null } });
    return reply.code(204).send();
  });
};

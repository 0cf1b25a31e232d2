/**
 * The e-mailed account actions (server/mail/account-actions.ts) — an admin's execute-actions
 * and verify-email sends, anyone's reset-credentials — the realm's outbox, and a signed-in
 * user's own password change.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vigilError } from '../errors.js';
import { identify, need, needSession, realmOf, sessionPrincipal } from '../auth/guard.js';
import { LoginFailure } from '../auth/login.js';
import { publicMessage } from '../mail/outbox.js';
import { errorResponses } from '../schemas/errors.js';
import { NoContent, RealmParams, realmParams, SECURITY } from '../schemas/common.js';
import { UserParams } from '../schemas/users.js';
import { ActionQuery, ActionsBody, OutboxList, OutboxOne, PasswordChangeBody, ResetBody } from '../schemas/mail.js';

const mail_ = { tags: ['mail'], security: SECURITY };
const ByUsername = realmParams('username', UserParams.properties.username);
const Accepted = Type.Unsafe<undefined>({ type: 'null', description: 'Accepted: if the account exists and has an e-mail address, a link is on its way' });

export const mailRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { accountActions, mail, users, engine, login } = app;
  app.addHook('preValidation', identify);

  const sendOptions = (q: { lifespan?: number; client_id?: string; redirect_uri?: string }, by: string) => ({
    ...(q.lifespan !== undefined ? { lifespan: q.lifespan } : {}),
    ...(q.client_id !== undefined ? { clientId: q.client_id } : {}),
    ...(q.redirect_uri !== undefined ? { redirectUri: q.redirect_uri } : {}),
    by,
  });

  app.put('/users/:username/execute-actions-email', {
    preValidation: need('admin'),
    schema: {
      ...mail_, params: ByUsername, querystring: ActionQuery, body: ActionsBody, summary: 'E-mail a user a link that performs actions',
      description: 'One link that performs the actions in order (Keycloak\'s execute-actions-email). It works once, for `lifespan` seconds, else the realm\'s adminActionLifespan; a newer execute-actions link to the same user supersedes it. 400 when the user has no e-mail or is disabled.',
      response: { 204: NoContent, ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req, reply) => {
    await accountActions.executeActionsEmail(realmOf(req), req.params.username, req.body, sendOptions(req.query, req.principal!.user!.username));
    return reply.code(204).send();
  });

  app.put('/users/:username/send-verify-email', {
    preValidation: need('admin'),
    schema: {
      ...mail_, params: ByUsername, querystring: ActionQuery, summary: 'E-mail a user a verify-email link',
      description: 'The link works once, for `lifespan` seconds, else the verify-email override, else userActionLifespan. 400 when the user has no e-mail or is disabled.',
      response: { 204: NoContent, ...errorResponses(401, 403, 404) },
    },
  }, async (req, reply) => {
    await accountActions.sendVerifyEmail(realmOf(req), req.params.username, sendOptions(req.query, req.principal!.user!.username));
    return reply.code(204).send();
  });

  app.post('/reset-credentials', {
    schema: {
      tags: ['mail'], params: RealmParams, body: ResetBody, summary: 'Forgot password: e-mail a reset link',
      description: 'Always 202, whether or not the account exists (no enumeration). A user with an e-mail address gets a link that sets a new password (lifespan: the reset-credentials override, else userActionLifespan), at most 5 an hour; completing it ends their sessions. Limited per client address (429).',
      response: { 202: Accepted, ...errorResponses(401, 404, 413, 429) },
    },
  }, async (req, reply) => {
    try {
      await accountActions.resetCredentials(realmOf(req), req.body.username, req.ip);
    } catch (err) {
      const retryAfter = (err as { retryAfter?: number }).retryAfter;
      if (retryAfter) reply.header('retry-after', String(retryAfter));
      throw err;
    }
    return reply.code(202).send();
  });

  app.get('/outbox', {
    preValidation: need('admin'),
    schema: { ...mail_, params: RealmParams, summary: 'The outbox', description: 'Every message sent from the realm, newest first, with its delivery status. With no SMTP server configured, this is where mail goes.', response: { 200: OutboxList, ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ messages: await mail.outbox.list(realmOf(req)) }));

  app.get('/outbox/:id', {
    preValidation: need('admin'),
    schema: { ...mail_, params: realmParams('id', Type.String({ maxLength: 64, description: 'A message id (m_…)' })), summary: 'Read a message of the outbox', response: { 200: OutboxOne, ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const m = await mail.outbox.get(realmOf(req), req.params.id);
    if (!m) throw vigilError('VIGIL_ERR_NOT_FOUND', `no message ${req.params.id}`);
    return { message: publicMessage(m) };
  });

  app.put('/me/password', {
    preValidation: needSession,
    schema: {
      tags: ['sign-in'], security: SECURITY, params: RealmParams, body: PasswordChangeBody, summary: 'Change my password',
      description: 'Needs the current password (counted like a sign-in: 401 VIGIL_ERR_INVALID_CREDENTIALS, 429 past the limit). The user\'s other sessions end (credentials-changed); the current one stays.',
      response: { 204: NoContent, ...errorResponses(401, 403, 404, 413, 429) },
    },
  }, async (req, reply) => {
    const p = sessionPrincipal(req);
    try {
      await login.authenticate({ realm: p.realm, username: p.user.username, password: req.body.currentPassword, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, kind: 'console', clientId: null });
    } catch (err) {
      if (!(err instanceof LoginFailure)) throw err;
      if (err.reason !== 'rate_limited') throw vigilError('VIGIL_ERR_INVALID_CREDENTIALS');
      reply.header('retry-after', String(err.retryAfter));
      throw vigilError('VIGIL_ERR_RATE_LIMITED', err.retryAfter);
    }
    await users.patch(p.realm, p.user.username, { password: req.body.password });
    const others = (await engine.userSessionIds(p.realm, p.user.id)).filter((id) => id !== p.sessionId);
    await engine.terminateMany(p.realm, others, 'credentials-changed', p.user.username);
    await engine.emit(p.realm, 'user.password_updated', { username: p.user.username, by: { username: p.user.username }, via: 'self' });
    return reply.code(204).send();
  });
};

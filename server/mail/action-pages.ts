/**
 * The browser's side of the e-mailed links, at Keycloak's path: `/realms/{realm}/login-actions/
 * action-token?key=…` shows what the link will do (opening it changes nothing, so a mail
 * scanner that fetches links uses nothing up), and its form's POST performs the actions; and
 * the forgot-password form at `/realms/{realm}/login-actions/reset-credentials`. Forms only, no
 * script; every POST is origin-checked (VIGIL_ALLOWED_ORIGINS, else the server's own).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { originAllowed, originPolicy } from '../auth/authenticate.js';
import { messagePage, pageHeaders } from '../oidc/pages.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/accounts.js';
import { isVigilError } from '../errors.js';
import type { ActionTokenClaims } from './action-tokens.js';
import type { StoredUser } from '../users/store.js';
import { actionPage, donePage, forgotPage, rejectedPage } from './pages.js';

type Req = FastifyRequest<{ Params: { realm: string }; Querystring: Record<string, unknown>; Body: Record<string, unknown> | undefined }>;

const field = (v: unknown, max: number): string => (typeof v === 'string' && v.length <= max ? v : '');

export async function actionPages(app: FastifyInstance): Promise<void> {
  const { accountActions } = app;
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  app.addHook('onRequest', async (req, reply) => {
    const realm = (req.params as { realm?: string }).realm;
    if (realm !== undefined && (await app.realms.exists(realm))) return;
    return pageHeaders(reply).code(404).send(messagePage(String(realm ?? ''), 'We are sorry…', 'Realm does not exist.', { alert: true }));
  });

  // the pages send no referrer (a link's key is in its URL), so a browser posts their forms with
  // `Origin: null`; then the browser's own Sec-Fetch-Site, which no page can set, says whether
  // the form came from this origin
  const sameOrigin = (req: Req) =>
    req.headers.origin === 'null' ? req.headers['sec-fetch-site'] === 'same-origin' : originAllowed(req.headers, originPolicy(app.config));
  const foreign = (req: Req, reply: FastifyReply) => {
    if (sameOrigin(req)) return null;
    return pageHeaders(reply).code(403).send(messagePage(req.params.realm, 'We are sorry…', 'This form was not sent from its own page (the request may have been forged). Open the link from your e-mail again.', { alert: true }));
  };

  const show = (req: Req, reply: FastifyReply, token: string, claims: ActionTokenClaims, user: StoredUser, error?: string) =>
    pageHeaders(reply).code(error ? 400 : 200).send(actionPage({ realm: req.params.realm, action: accountActions.linkPath(req.params.realm), token, claims, user, error }));

  const TOKEN_MAX = 8192;

  app.get('/realms/:realm/login-actions/action-token', async (req: Req, reply) => {
    const realm = req.params.realm;
    const token = field(req.query.key, TOKEN_MAX);
    const r = await accountActions.open(realm, token);
    if ('reason' in r) return pageHeaders(reply).code(400).send(rejectedPage(realm, r, accountActions.resetPath(realm)));
    return show(req, reply, token, r.claims, r.user);
  });

  app.post('/realms/:realm/login-actions/action-token', async (req: Req, reply) => {
    const realm = req.params.realm;
    if (foreign(req, reply)) return reply;
    const body = req.body ?? {};
    const token = field(body.key ?? req.query.key, TOKEN_MAX);
    const r = await accountActions.open(realm, token);
    if ('reason' in r) return pageHeaders(reply).code(400).send(rejectedPage(realm, r, accountActions.resetPath(realm)));
    let password: string | null = null;
    if (r.claims.act.includes('UPDATE_PASSWORD')) {
      // checked before the token is used up: a mistake here leaves the link working
      const next = field(body['password-new'], PASSWORD_MAX + 1);
      const confirm = field(body['password-confirm'], PASSWORD_MAX + 1);
      if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX) return show(req, reply, token, r.claims, r.user, `The new password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long.`);
      if (next !== confirm) return show(req, reply, token, r.claims, r.user, 'The passwords do not match.');
      password = next;
    }
    const refused = await accountActions.perform(realm, r.claims, r.user, password);
    if (refused) return pageHeaders(reply).code(400).send(rejectedPage(realm, refused, accountActions.resetPath(realm)));
    if (r.claims.redirectUri) return reply.header('cache-control', 'no-store').redirect(r.claims.redirectUri, 303);
    return pageHeaders(reply).send(donePage(realm, r.claims, `${app.publicUrl()}/`));
  });

  app.get('/realms/:realm/login-actions/reset-credentials', async (req: Req, reply) => {
    return pageHeaders(reply).send(forgotPage({ realm: req.params.realm, action: accountActions.resetPath(req.params.realm) }));
  });

  app.post('/realms/:realm/login-actions/reset-credentials', async (req: Req, reply) => {
    const realm = req.params.realm;
    if (foreign(req, reply)) return reply;
    const action = accountActions.resetPath(realm);
    const name = field(req.body?.username, 254).trim();
    if (!name) return pageHeaders(reply).code(400).send(forgotPage({ realm, action, error: 'Enter your username or e-mail address.' }));
    try {
      await accountActions.resetCredentials(realm, name, req.ip);
    } catch (err) {
      if (!isVigilError(err) || err.code !== 'VIGIL_ERR_RATE_LIMITED') throw err;
      return pageHeaders(reply).code(429).send(forgotPage({ realm, action, error: 'Too many requests from this address. Wait a few minutes and try again.' }));
    }
    return pageHeaders(reply).send(forgotPage({ realm, action, sent: true }));
  });
}

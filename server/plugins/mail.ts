/**
 * `vigil-mail`: outgoing mail (server/mail/service.ts: the outbox and the BullMQ delivery jobs)
 * and the e-mailed account actions built on it (server/mail/account-actions.ts). The delivery
 * worker starts when the process's role asks for it (server/main.ts), like the timers'.
 */
import fp from 'fastify-plugin';
import { MailService } from '../mail/service.js';
import { AccountActions } from '../mail/account-actions.js';
import { untilReady } from '../redis/connect.js';

declare module 'fastify' {
  interface FastifyInstance {
    mail: MailService;
    accountActions: AccountActions;
  }
}

export const mailPlugin = fp(async (app) => {
  const queueConnection = app.openRedis('commands', 'mail queue');
  // the worker's connection (BullMQ's kind) only where there is something to deliver
  const workerConnection = app.config.smtpUrl ? app.openRedis('bullmq', 'mail') : queueConnection;
  const mail = new MailService(app.redis, app.keys, app.engine, { smtpUrl: app.config.smtpUrl, mailFrom: app.config.mailFrom, publicUrl: () => app.publicUrl() },
    workerConnection, queueConnection, app.log);
  app.decorate('mail', mail);
  app.decorate('accountActions', new AccountActions({
    redis: app.redis, keys: app.keys, engine: app.engine, realms: app.realms, users: app.users, clients: app.oidc.clients, mail, publicUrl: () => app.publicUrl(),
  }));
  app.addHook('onClose', () => mail.close());
  await untilReady(queueConnection);
}, { name: 'vigil-mail', dependencies: ['vigil-config', 'vigil-redis', 'vigil-sessions', 'vigil-stores', 'vigil-oidc'] });

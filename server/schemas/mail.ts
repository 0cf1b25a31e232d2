/** The outbox's messages and the e-mailed account actions' bodies and queries (server/mail/). */
import { Type } from 'typebox';
import { ACTIONS } from '../mail/action-tokens.js';
import { EMAIL_MAX, PASSWORD_MAX } from '../../shared/accounts.js';
import { UNIT } from './rules.js';
import { literals, Timestamp } from './common.js';
import { Password } from './users.js';

export const OutboxMessage = Type.Object({
  id: Type.String({ examples: ['m_Qm3x9LpTz2aBcD1e'] }),
  to: Type.String({ description: 'One address' }),
  subject: Type.String(),
  text: Type.String({ description: 'The plain-text body' }),
  html: Type.String({ description: 'The HTML body' }),
  status: literals(['queued', 'sent', 'failed'] as const),
  attempts: Type.Integer({ minimum: 0, description: 'Delivery attempts so far (0 with no SMTP server configured: the message stays here)' }),
  createdAt: Timestamp('When it was queued'),
  error: Type.Optional(Type.String({ description: 'The last delivery error' })),
  sentAt: Type.Optional(Timestamp('When the SMTP server accepted it')),
}, { $id: 'OutboxMessage', title: 'OutboxMessage' });

export const OutboxList = Type.Object({ messages: Type.Array(Type.Ref('OutboxMessage')) }, { description: 'The realm\'s outbox, newest first (the last 100)' });
export const OutboxOne = Type.Object({ message: Type.Ref('OutboxMessage') }, { description: 'The message' });

export const ActionsBody = Type.Array(literals(ACTIONS), {
  minItems: 1, maxItems: ACTIONS.length, uniqueItems: true, title: 'actions',
  description: 'The actions the link performs, in this order', examples: [['UPDATE_PASSWORD', 'VERIFY_EMAIL']],
});

export const ActionQuery = Type.Object({
  lifespan: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, [UNIT]: 'seconds', description: 'How long the link works, in seconds, instead of the realm\'s lifespan for this operation' })),
  client_id: Type.Optional(Type.String({ maxLength: 200, description: 'The client whose redirect_uri the done page goes to' })),
  redirect_uri: Type.Optional(Type.String({ maxLength: 2000, description: 'Where the link goes when done: one of client_id\'s registered redirect URIs' })),
}, { additionalProperties: false });

export const ResetBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: EMAIL_MAX, description: 'A username or an e-mail address' }),
}, { additionalProperties: false, title: 'reset' });

export const PasswordChangeBody = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  password: Password,
}, { additionalProperties: false, title: 'password change' });

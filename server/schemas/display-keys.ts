/** Display keys: read-only viewer credentials for wall displays (server/auth/display-keys.ts). */
import { Type } from 'typebox';
import { Timestamp } from './common.js';

export const DisplayKey = Type.Object({
  id: Type.String({ examples: ['dk_8Hw2pQr5t'] }),
  name: Type.String(),
  createdAt: Timestamp('When it was made'),
  createdBy: Type.String({ description: 'The admin who made it' }),
  key: Type.Optional(Type.String({ description: 'The key itself (vk_…): only in the answer that creates it' })),
}, { $id: 'DisplayKey', title: 'DisplayKey' });

export const DisplayKeyBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 100, description: 'Default "Wall display"' })),
}, { additionalProperties: false, title: 'display key' });

/** Real-time connections of a realm on every node (GET /connections; server/realtime/directory.ts). */
import { Type } from 'typebox';
import { Timestamp } from './common.js';

export const Connection = Type.Object({
  id: Type.String({ description: 'What DELETE /connections/{id} takes', examples: ['c_Zq3v8TnR1xWk2mJp'] }),
  transport: Type.Union([Type.Literal('ws'), Type.Literal('socket.io')]),
  role: Type.Ref('Role'),
  user: Type.Optional(Type.Object({ id: Type.String(), username: Type.String() }, { description: 'The signed-in user (a session or access token)' })),
  displayKey: Type.Optional(Type.Object({ id: Type.String(), name: Type.Optional(Type.String()) }, { description: 'The display key it connected with' })),
  ip: Type.String({ description: 'The peer address' }),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  connectedAt: Timestamp('When it connected'),
  topics: Type.Array(Type.String(), { description: 'The topics it is subscribed to', examples: [['sessions']] }),
  node: Type.String({ description: 'The server process holding it' }),
}, { $id: 'Connection', title: 'Connection' });

/** The wall display's counters (GET /stats; the `stats` topic pushes the same object). */
import { Type } from 'typebox';
import { Timestamp } from './common.js';

const Count = Type.Integer({ minimum: 0 });

export const Stats = Type.Object({
  active: Type.Integer({ minimum: 0, description: 'Live sessions of every kind' }),
  warning: Type.Integer({ minimum: 0, description: 'Sessions in their expiry prompt' }),
  byKind: Type.Object({ console: Count, sso: Count, offline: Count }),
  lastHour: Type.Object({ started: Count, logins: Count, expired: Count, terminated: Count, ended: Count }, { description: 'Events in the last 60 minutes' }),
  connectedClients: Type.Integer({ minimum: 0, description: 'Real-time connections to the realm on every node' }),
  serverTime: Timestamp('The server\'s clock, for countdowns'),
}, { $id: 'Stats', title: 'Stats' });

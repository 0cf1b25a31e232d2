/** What the hub needs from a connected client, whatever its transport. */
import type { Role, ServerMessage } from '../../shared/protocol.js';

/** A message serialized at most once per transport, however many clients it goes to. */
export class Frame {
  private text: string | null = null;
  /** The Socket.IO adapter caches its encoded packet here. */
  sioEncoded: unknown = null;
  constructor(readonly message: ServerMessage) {}
  json(): string {
    return (this.text ??= JSON.stringify(this.message));
  }
}

export interface Principal {
  realm: string;
  roles: Role[];
  /** The strongest role: admin > viewer > user. */
  role: Role;
  user: { id: string; username: string; tokenLifetime: number } | null;
  sessionId: string | null;
  displayKeyId: string | null;
}

export interface RealtimeClient {
  readonly id: number;
  readonly transport: 'ws' | 'socket.io';
  principal: Principal | null;
  send(frame: Frame): void;
  /** True while the client is not reading fast enough to take more. */
  congested(): boolean;
  close(code: number, reason: string): void;
}

let nextId = 1;
export const newClientId = (): number => nextId++;

export function hasRole(p: Principal, needed: Role): boolean {
  if (needed === 'user') return true;
  if (needed === 'viewer') return p.roles.includes('viewer') || p.roles.includes('admin');
  return p.roles.includes('admin');
}

/** What the hub needs from a connected client, whatever its transport. */
import type { ServerMessage } from '../../shared/protocol.js';
import type { Principal } from '../auth/principal.js';

/** A message serialized at most once per transport, however many clients it goes to. */
export class Frame {
  private text: string | null = null;
  constructor(readonly message: ServerMessage) {}
  json(): string {
    return (this.text ??= JSON.stringify(this.message));
  }
}

export interface RealtimeClient {
  readonly id: number;
  readonly transport: 'ws' | 'socket.io';
  principal: Principal | null;
  /** What `GET /connections` shows of it: the peer's address, its User-Agent, when it connected (ms). */
  readonly ip?: string;
  readonly userAgent?: string | null;
  readonly connectedAt?: number;
  send(frame: Frame): void;
  /** True while the client is not reading fast enough to take more. */
  congested(): boolean;
  close(code: number, reason: string): void;
}

let nextId = 1;
export const newClientId = (): number => nextId++;


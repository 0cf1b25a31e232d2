/** Opaque credentials: ≥ 256 bits of randomness, stored only as their SHA-256. */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_TOKEN_PREFIX = 'vs_';
export const DISPLAY_KEY_PREFIX = 'vk_';

export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function newId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** Turns the compact Redis representation of sessions and events into the contract's shapes. */
import type { Session, SessionKind, SessionState, VigilEvent } from '../../shared/protocol.js';
import { deviceOf } from './device.js';

export type SessionHash = Record<string, string | number>;

export function iso(ms: string | number | undefined): string {
  return new Date(Number(ms ?? 0)).toISOString();
}

export function flatToHash(flat: unknown): SessionHash | null {
  if (!Array.isArray(flat) || flat.length === 0) return null;
  const h: SessionHash = {};
  for (let i = 0; i < flat.length; i += 2) h[String(flat[i])] = flat[i + 1] as string;
  return h;
}

/** What other layers need of a live session (engine.facts, the OIDC refresh), without its field names. */
export interface SessionFacts {
  kind: SessionKind;
  userId: string;
  /** seconds */
  idleTimeout: number;
  /** ms since the epoch */
  maxExpiresAt: number;
  /** ms since the epoch */
  createdAt: number;
  state: SessionState;
  warningReason: 'idle' | 'max' | null;
}

/** A session hash's facts; null when it is no live session (no kind or user). */
export function factsOf(h: SessionHash): SessionFacts | null {
  if (!h.k || !h.u) return null;
  return {
    kind: String(h.k) as SessionKind, userId: String(h.u), idleTimeout: Number(h.it), maxExpiresAt: Number(h.mx), createdAt: Number(h.ca),
    state: h.st === 'w' ? 'warning' : 'active', warningReason: h.wr === 'idle' || h.wr === 'max' ? h.wr : null,
  };
}

export function formatSession(realm: string, h: SessionHash, currentSessionId: string | null = null): Session {
  const id = String(h.id);
  const ua = h.ua ? String(h.ua) : null;
  return {
    id,
    realm,
    kind: String(h.k) as SessionKind,
    user: { id: String(h.u), username: String(h.n) },
    clientId: h.c ? String(h.c) : null,
    state: h.st === 'w' ? 'warning' : 'active',
    createdAt: iso(h.ca),
    lastActivityAt: iso(h.la),
    warnAt: iso(h.wa),
    expiresAt: iso(h.ea),
    maxExpiresAt: iso(h.mx),
    idleTimeout: Number(h.it),
    origin: { ip: h.ip ? String(h.ip) : null, userAgent: ua, device: deviceOf(ua) },
    current: currentSessionId !== null && id === currentSessionId,
  };
}

/**
 * The order of the session's fields in a stream entry's `h` (includes/common.lua packSession
 * writes it): an array without the id (the entry's `s`), times relative to the entry's `t`.
 */
export const STREAM_SESSION_FIELDS = ['k', 'u', 'n', 'c', 'st', 'wr', 'ca', 'la', 'it', 'mx', 'wa', 'ea', 'ip', 'ua'] as const;
const RELATIVE = new Set<string>(['ca', 'la', 'mx', 'wa', 'ea']);

/** A stream entry's session; entries written before the packed form hold it as an object. */
export function streamSession(sid: string, t: number, json: string): SessionHash {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v)) return v as SessionHash;
  const h: SessionHash = { id: sid };
  STREAM_SESSION_FIELDS.forEach((k, i) => (h[k] = RELATIVE.has(k) ? t + Number(v[i]) : (v[i] as string | number)));
  return h;
}

/** A stream entry's fields: n name, s session id, t time ms, d data JSON, h the session (streamSession). */
export function formatEvent(realm: string, id: string, fields: string[]): VigilEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const data = JSON.parse(f.d || '{}') as Record<string, unknown>;
  // deadlines travel as epoch ms inside Lua; the contract speaks ISO strings
  if (typeof data.expiresAt === 'number') data.expiresAt = iso(data.expiresAt);
  return {
    id,
    name: f.n as VigilEvent['name'],
    at: iso(f.t),
    realm,
    sessionId: f.s || null,
    session: f.h ? formatSession(realm, streamSession(f.s ?? '', Number(f.t), f.h)) : null,
    data,
  };
}

/** Stream ids "ms-seq" compare numerically, part by part. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = Number(am) - Number(bm);
  if (d !== 0) return d < 0 ? -1 : 1;
  const e = Number(as ?? 0) - Number(bs ?? 0);
  return e < 0 ? -1 : e > 0 ? 1 : 0;
}

export const STREAM_ID = /^\d{1,16}-\d{1,10}$/;

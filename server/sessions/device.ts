/**
 * A session origin's user agent, named: `{browser: "Chrome 131", os: "Windows 10", type: "desktop"}`,
 * parsed with ua-parser-js (1.x: MIT; 2.x is AGPL) on the server so every client — the
 * dashboard, the CLI, a webhook consumer — sees the same names without shipping a parser.
 *
 * Why a cache here and not parsed fields in the session hash: a subscribe formats the realm's
 * whole snapshot (10k sessions and more) and every event formats its session again, so the
 * parse must not run per format; but user agents repeat heavily (a company's staff run a few
 * browser builds), so one parse per distinct string, remembered in a bounded LRU, costs about
 * as much as reading stored fields — without a change to create-session-0.lua's ARGV, without
 * more bytes per session in Redis, and it names sessions created before this code too. When
 * ua-parser-js learns a new browser, a restart renames every session, which stored fields
 * would not.
 */
import UAParser from 'ua-parser-js';
import { DEVICE_TYPES, type DeviceType, type SessionDevice } from '../../shared/protocol.js';

/** Distinct user agents remembered; past this the least recently used is parsed again when seen. */
export const DEVICE_CACHE_SIZE = 2000;

const UNKNOWN: SessionDevice = Object.freeze({ browser: null, os: null, type: null });

/** Parses a user agent, without a cache. */
export function parseDevice(userAgent: string | null | undefined): SessionDevice {
  if (!userAgent) return UNKNOWN;
  const r = new UAParser(userAgent).getResult();
  const browser = r.browser.name ? (r.browser.major ? `${r.browser.name} ${r.browser.major}` : r.browser.name) : null;
  const os = r.os.name ? (r.os.version ? `${r.os.name} ${r.os.version}` : r.os.name) : null;
  // ua-parser-js leaves device.type undefined for desktops (it only names the other kinds)
  const kind = r.device.type as DeviceType | undefined;
  const type = kind && DEVICE_TYPES.includes(kind) ? kind : browser || os ? 'desktop' : null;
  if (!browser && !os && !type) return UNKNOWN;
  return Object.freeze({ browser, os, type });
}

/**
 * A bounded least-recently-used cache of parsed user agents (a Map keeps insertion order: a
 * hit is moved to the end, the first key is the eldest). The results are frozen and shared
 * by every session with that user agent.
 */
export class DeviceCache {
  private readonly entries = new Map<string, SessionDevice>();
  /** How many strings were parsed (misses); for tests and measurements. */
  parses = 0;

  constructor(readonly limit = DEVICE_CACHE_SIZE) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`DeviceCache limit must be a positive integer, got ${limit}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(userAgent: string | null | undefined): SessionDevice {
    if (!userAgent) return UNKNOWN;
    const hit = this.entries.get(userAgent);
    if (hit) {
      this.entries.delete(userAgent);
      this.entries.set(userAgent, hit);
      return hit;
    }
    this.parses++;
    const device = parseDevice(userAgent);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(userAgent, device);
    return device;
  }
}

const shared = new DeviceCache();

/** The device of a user agent, parsed at most once per distinct string while it stays in use. */
export function deviceOf(userAgent: string | null | undefined): SessionDevice {
  return shared.get(userAgent);
}

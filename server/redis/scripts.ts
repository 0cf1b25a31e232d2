/**
 * Loads the Lua commands in ./lua (BullMQ's layout: `<command>-<numberOfKeys>.lua`, shared
 * pieces in includes/ pulled in with `--- @include "name"`) and defines them on a client.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { SCRIPT_RESULTS } from './results.js';
import { DEFAULT_EVENT_RETENTION, type EventRetention } from '../config.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');

/** The timer wheel's slice, in ms: the width of one BullMQ job's share of deadlines (timers/wheel.ts), also in the scripts. */
export const SLICE_MS = 1000;
/**
 * Constants the scripts share with TypeScript, written into them where they say `{{NAME}}`:
 * SLICE_MS, the stream's retention (configuration, so per set of commands), and every script
 * result as `{{Family.Name}}` (results.ts).
 */
function luaConstants(retention: EventRetention): Record<string, number> {
  return {
    SLICE_MS,
    EVENT_RETENTION_COUNT: retention.count,
    EVENT_RETENTION_MS: retention.days * 86_400_000,
    ...Object.fromEntries(Object.entries(SCRIPT_RESULTS).flatMap(([family, names]) => Object.entries(names).map(([name, n]) => [`${family}.${name}`, n]))),
  };
}

function load(file: string, constants: Record<string, number>): string {
  return readFileSync(path.join(dir, file), 'utf8')
    .replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) => readFileSync(path.join(dir, 'includes', `${name}.lua`), 'utf8'))
    .replace(/\{\{([\w.]+)\}\}/g, (whole, name: string) => {
      if (!(name in constants)) throw new Error(`${file}: no constant ${name} for ${whole}`);
      return String(constants[name]);
    });
}

function camel(name: string): string {
  return name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

export interface LuaCommand {
  /** The file in ./lua. */
  file: string;
  /** The command's name on the client (camelCase of the file name). */
  name: string;
  numberOfKeys: number;
  /** The script as Redis runs it: includes and constants written in. */
  lua: string;
}

const cache = new Map<string, LuaCommand[]>();
/** Every Lua command, as defineCommands gives them to ioredis, for a stream retention. */
export function commands(retention: EventRetention = DEFAULT_EVENT_RETENTION): LuaCommand[] {
  const id = `${retention.days}/${retention.count}`;
  const known = cache.get(id);
  if (known) return known;
  const constants = luaConstants(retention);
  const made = readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => {
      const m = /^(.+)-(\d+)\.lua$/.exec(f);
      if (!m) throw new Error(`Lua command file ${f} must be named <command>-<numberOfKeys>.lua`);
      return { file: f, name: camel(m[1]!), numberOfKeys: Number(m[2]), lua: load(f, constants) };
    });
  cache.set(id, made);
  return made;
}

type Reply = unknown;
/**
 * The commands, each called with its KEYS first (server/redis/keys.ts `script`, in the order
 * of the script's header) and then its ARGV; results.ts names what they answer.
 */
export interface VigilCommands {
  createSession(...keysAndArgv: Array<string | number>): Promise<Reply>;
  resolveToken(...keysAndArgv: Array<string | number>): Promise<Reply>;
  touchSession(...keysAndArgv: Array<string | number>): Promise<Reply>;
  extendSession(...keysAndArgv: Array<string | number>): Promise<Reply>;
  endSession(...keysAndArgv: Array<string | number>): Promise<Reply>;
  setIdleTimeout(...keysAndArgv: Array<string | number>): Promise<Reply>;
  fireDue(...keysAndArgv: Array<string | number>): Promise<Reply>;
  finishSlice(...keysAndArgv: Array<string | number>): Promise<Reply>;
  emitEvent(...keysAndArgv: Array<string | number>): Promise<Reply>;
  oidcRefresh(...keysAndArgv: Array<string | number>): Promise<Reply>;
  oidcRedeemCode(...keysAndArgv: Array<string | number>): Promise<Reply>;
  /** oidc-rotate-key-1.lua (oidc/signing.ts). */
  oidcRotateKey(keys: string, kid: string, retireAfterMs: number): Promise<Reply>;
  /** oidc-retire-key-1.lua: SigningKeyResult (oidc/signing.ts). */
  oidcRetireKey(keys: string, kid: string): Promise<Reply>;
  /** consume-action-token-2.lua: ActionTokenResult (mail/action-tokens.ts). */
  consumeActionToken(used: string, latest: string, tokenId: string, ttlMs: number): Promise<number>;
  /** outbound-advance-1.lua: 1 when the consumer's cursor moved forward, 0 when not (gone, or already past). */
  outboundAdvance(cursors: string, consumer: string, eventId: string): Promise<number>;
  /** login-reserve-3.lua: [LoginReserve.Reserved, 0], or [refusal, ms until it frees up] (auth/login-limiter.ts). */
  loginReserve(userAtAddress: string, address: string, familiar: string, userAtAddressLimit: number, addressLimit: number, windowMs: number): Promise<[number, number]>;
  /** login-release-3.lua: a reserved attempt succeeded. */
  loginRelease(userAtAddress: string, address: string, familiar: string, familiarForMs: number): Promise<number>;
}

export type ScriptedRedis = Redis & VigilCommands;

/** `retention`: the stream trimming written into the scripts (Config.eventRetention). */
export function defineCommands(client: Redis, retention: EventRetention = DEFAULT_EVENT_RETENTION): ScriptedRedis {
  for (const c of commands(retention)) {
    if (!(c.name in client)) client.defineCommand(c.name, { numberOfKeys: c.numberOfKeys, lua: c.lua });
  }
  return client as ScriptedRedis;
}

/**
 * Loads the Lua commands in ./lua (BullMQ's layout: `<command>-<numberOfKeys>.lua`, shared
 * pieces in includes/ pulled in with `--- @include "name"`) and defines them on a client.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');

/** The timer wheel's slice, in ms: the width of one BullMQ job's share of deadlines (timers/wheel.ts), also in the scripts. */
export const SLICE_MS = 1000;
/** Constants the scripts share with TypeScript, written into them where they say `{{NAME}}`. */
const LUA_CONSTANTS: Record<string, number> = { SLICE_MS };

function load(file: string): string {
  return readFileSync(path.join(dir, file), 'utf8')
    .replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) => readFileSync(path.join(dir, 'includes', `${name}.lua`), 'utf8'))
    .replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
      if (!(name in LUA_CONSTANTS)) throw new Error(`${file}: no constant ${name} for ${whole}`);
      return String(LUA_CONSTANTS[name]);
    });
}

function camel(name: string): string {
  return name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

let cache: Array<{ name: string; numberOfKeys: number; lua: string }> | null = null;
function commands() {
  cache ??= readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => {
      const m = /^(.+)-(\d+)\.lua$/.exec(f);
      if (!m) throw new Error(`Lua command file ${f} must be named <command>-<numberOfKeys>.lua`);
      return { name: camel(m[1]!), numberOfKeys: Number(m[2]), lua: load(f) };
    });
  return cache;
}

type Reply = unknown;
export interface VigilCommands {
  createSession(...argv: Array<string | number>): Promise<Reply>;
  resolveToken(...argv: Array<string | number>): Promise<Reply>;
  touchSession(...argv: Array<string | number>): Promise<Reply>;
  extendSession(...argv: Array<string | number>): Promise<Reply>;
  endSession(...argv: Array<string | number>): Promise<Reply>;
  setIdleTimeout(...argv: Array<string | number>): Promise<Reply>;
  fireDue(...argv: Array<string | number>): Promise<Reply>;
  finishSlice(...argv: Array<string | number>): Promise<Reply>;
  emitEvent(...argv: Array<string | number>): Promise<Reply>;
  oidcRefresh(...argv: Array<string | number>): Promise<Reply>;
  oidcRedeemCode(...argv: Array<string | number>): Promise<Reply>;
  /** oidc-rotate-key-0.lua (oidc/signing.ts). */
  oidcRotateKey(base: string, kid: string, retireAfterMs: number): Promise<Reply>;
  /** oidc-retire-key-0.lua: 1 retired, -1 the active key, 0 unknown (oidc/signing.ts). */
  oidcRetireKey(base: string, kid: string): Promise<Reply>;
  /** login-reserve-3.lua: [1, 0] reserved, or [LoginRefusal, ms until it frees up] (auth/login-limiter.ts). */
  loginReserve(userAtAddress: string, address: string, familiar: string, userAtAddressLimit: number, addressLimit: number, windowMs: number): Promise<[number, number]>;
  /** login-release-3.lua: a reserved attempt succeeded. */
  loginRelease(userAtAddress: string, address: string, familiar: string, familiarForMs: number): Promise<number>;
}

export type ScriptedRedis = Redis & VigilCommands;

export function defineCommands(client: Redis): ScriptedRedis {
  for (const c of commands()) {
    if (!(c.name in client)) client.defineCommand(c.name, { numberOfKeys: c.numberOfKeys, lua: c.lua });
  }
  return client as ScriptedRedis;
}

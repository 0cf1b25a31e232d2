/**
 * Redis Cluster legality of the Lua scripts, without a cluster: a script may only touch keys
 * passed in KEYS (ioredis's Cluster routes an EVALSHA by them, the server checks their slot).
 * Each script, as server/redis/scripts.ts loads it (includes and constants written in), is
 * scanned statically: the key argument of every redis.call must be KEYS[i], or KEYS[i] .. x
 * (a prefix key in the realm's slot extended by an id), or a name bound only to such
 * expressions (locals, function parameters at every call site, loop variables). Building a
 * key from ARGV (the first release's `ARGV[1] .. 's:' .. id`) fails. The header must list
 * every KEYS[i] and ARGV[i] the script uses, and the result numbers it names.
 */
import { describe, expect, it } from 'vitest';
import { commands } from '../../server/redis/scripts.js';
import { SCRIPT_RESULTS } from '../../server/redis/results.js';
import { Keys } from '../../server/redis/keys.js';

/** Commands without a key argument. */
const KEYLESS = new Set(['TIME']);

function stripComments(lua: string): string {
  return lua.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');
}

/** The top-level, comma-separated arguments of the call whose `(` is at `open`. */
function argsAt(code: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = open + 1;
  for (let i = open; i < code.length; i++) {
    const ch = code[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) {
      depth--;
      if (depth === 0) {
        args.push(code.slice(start, i).trim());
        return args.filter((a) => a !== '');
      }
    } else if (ch === ',' && depth === 1) {
      args.push(code.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced call at ${open}`);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every expression the name `id` may hold: what it is assigned, passed as, or iterates over. */
function bindings(code: string, id: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(new RegExp(`(?:^|[^\\w.])${escape(id)}\\s*=(?!=)\\s*(.+)$`, 'gm'))) out.push(m[1]!.trim());
  for (const m of code.matchAll(/function\s+(\w+)\s*\(([^)]*)\)/g)) {
    const index = m[2]!.split(',').map((p) => p.trim()).indexOf(id);
    if (index < 0) continue;
    for (const call of code.matchAll(new RegExp(`(?<![\\w.:])${escape(m[1]!)}\\s*\\(`, 'g'))) {
      if (/function\s+$/.test(code.slice(Math.max(0, call.index - 20), call.index))) continue; // the definition
      out.push(argsAt(code, call.index + call[0].length - 1)[index] ?? '<missing argument>');
    }
  }
  for (const m of code.matchAll(/\bfor\s+([\w\s,]+?)\s+in\s+(.+?)\s+do\b/g)) {
    if (!m[1]!.split(',').map((v) => v.trim()).includes(id)) continue;
    const list = /^ipairs\(\{(.*)\}\)$/.exec(m[2]!.trim());
    if (list) out.push(...list[1]!.split(',').map((e) => e.trim()));
    else out.push(m[2]!);
  }
  return out;
}

/** Whether a key expression derives from KEYS alone. */
function fromKeys(code: string, expr: string, seen = new Set<string>()): boolean {
  const e = expr.trim();
  if (/^KEYS\[\d+\]\s*(\.\.|$)/.test(e)) return true;
  const m = /^([A-Za-z_]\w*)\s*(\.\.|$)/.exec(e);
  if (!m || m[1] === 'ARGV' || m[1] === 'KEYS') return false;
  if (seen.has(m[1]!)) return true; // a cycle: its other bindings decide
  seen.add(m[1]!);
  const sources = bindings(code, m[1]!);
  return sources.length > 0 && sources.every((s) => fromKeys(code, s, seen));
}

/** The key expressions of a script that do not derive from KEYS. */
function illegalKeys(lua: string): string[] {
  const code = stripComments(lua);
  const bad: string[] = [];
  for (const call of code.matchAll(/redis\.(?:p?call)\s*\(/g)) {
    const [command, key] = argsAt(code, call.index + call[0].length - 1);
    if (KEYLESS.has(String(command).replace(/['"]/g, '').toUpperCase())) continue;
    if (key === undefined || !fromKeys(code, key)) bad.push(`${command} ${key}`);
  }
  return bad;
}

function keyIndexesUsed(lua: string): number[] {
  return [...new Set([...stripComments(lua).matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

/** KEYS[i] and KEYS[i..j] named in the comments. */
function keyIndexesListed(lua: string): Set<number> {
  const listed = new Set<number>();
  for (const c of lua.matchAll(/--\[\[[\s\S]*?\]\]/g)) {
    for (const m of c[0].matchAll(/KEYS\[(\d+)(?:\.\.(\d+))?\]/g)) {
      for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) listed.add(i);
    }
  }
  return listed;
}

const scripts = commands();

describe('the Lua key scan', () => {
  it('finds keys built from ARGV, as the first release did', () => {
    const first = `
      local KB = ARGV[1]
      local function sessionKey(sid) return KB .. 's:' .. sid end
      local function hgetall(key) return redis.call('HGETALL', key) end
      local h = hgetall(sessionKey(ARGV[2]))
      redis.call('ZADD', KB .. 'deadlines', 1, ARGV[2])
      redis.call('XADD', ARGV[1] .. 'events', '*', 'n', 'x')
      redis.call('SADD', KEYS[1], 'fine')
    `;
    expect(illegalKeys(first)).toEqual(["'HGETALL' key", "'ZADD' KB .. 'deadlines'", "'XADD' ARGV[1] .. 'events'"]);
  });

  it('follows a key through locals, parameters and loops to KEYS', () => {
    const ok = `
      local deadlines = KEYS[2]
      local function touch(key, at) redis.call('HSET', key, 'la', at) end
      touch(KEYS[3] .. ARGV[1], 1)
      touch(deadlines, 2)
      for _, key in ipairs({ KEYS[1], KEYS[2] }) do redis.call('INCR', key) end
      redis.call('TIME')
    `;
    expect(illegalKeys(ok)).toEqual([]);
    // names are not scoped: one ARGV-built binding of `key` anywhere makes every use of it suspect
    expect(illegalKeys(`${ok}\ntouch(ARGV[1], 3)`)).toContain("'HSET' key");
  });
});

describe('every Lua script is cluster-legal', () => {
  it('loads the scripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(15);
  });

  for (const s of scripts) {
    describe(s.file, () => {
      it('touches only keys derived from KEYS', () => {
        expect(illegalKeys(s.lua)).toEqual([]);
        expect(stripComments(s.lua)).not.toMatch(/ARGV\[\d+\]\s*\.\./);
      });

      it('uses exactly the KEYS its file name declares, and its header lists each', () => {
        const used = keyIndexesUsed(s.lua);
        expect(used).toEqual(Array.from({ length: s.numberOfKeys }, (_, i) => i + 1));
        const listed = keyIndexesListed(s.lua);
        for (const i of used) expect(listed.has(i), `KEYS[${i}] in a header`).toBe(true);
        expect(Math.max(0, ...listed)).toBeLessThanOrEqual(s.numberOfKeys);
      });

      it('gets its KEYS from keys.ts, as many as it declares, all in the realm\'s slot', () => {
        const build = (new Keys('vigil').script as unknown as Record<string, ((...a: string[]) => string[]) | undefined>)[s.name];
        expect(build, `keys.script.${s.name}`).toBeTypeOf('function');
        const keys = build!('r1', 'id-a', 'id-b');
        expect(keys).toHaveLength(s.numberOfKeys);
        for (const k of keys) expect(k.startsWith('vigil:{r1}:'), k).toBe(true);
      });

      it('lists in its own header every ARGV it reads, and its results by their numbers', () => {
        const header = /--\[\[[\s\S]*?\]\]/.exec(s.lua)?.[0] ?? '';
        for (const m of stripComments(s.lua).matchAll(/ARGV\[(\d+)\]/g)) expect(header, `ARGV[${m[1]}] in the header`).toContain(`ARGV[${m[1]}]`);
        for (const m of header.matchAll(/\b(\w+)\.(\w+) \((-?\d+)\)/g)) {
          expect(SCRIPT_RESULTS[m[1]!]?.[m[2]!], `${m[0]} in results.ts`).toBe(Number(m[3]));
        }
        expect(s.lua).not.toMatch(/\{\{/); // every constant was written in
      });
    });
  }
});

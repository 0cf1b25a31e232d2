/**
 * The server's shape as ARCHITECTURE.md "Layers" states it, checked on the import graph
 * (static `import … from './x.js'` of server/ and shared/): no import cycle, no route file
 * importing another, nothing below the app importing upward.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** file (relative to the repository) → the files of server/ and shared/ it imports. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of [...files(path.join(ROOT, 'server')), ...files(path.join(ROOT, 'shared'))]) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)\.js'/gms)]
      .map((m) => path.relative(ROOT, path.resolve(path.dirname(file), `${m[1]}.ts`)));
    g.set(path.relative(ROOT, file), deps);
  }
  return g;
}

function cycles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return found;
}

/** ARCHITECTURE.md "Layers", from the ground up: a file may import its own layer or lower ones. */
const LAYERS: Array<RegExp> = [
  /^shared\//,
  /^server\/(redis|config|errors|metrics|log|schemas\/rules)(\/|\.ts$)/,
  /^server\/(sessions|timers|realms|users)\//,
  /^server\/auth\//,
  /^server\/(realtime|routes|oidc|schemas|docs|mail|webhooks|outbound)(\/|\.ts$)/,
  /^server\/(plugins\/|app\.ts|bootstrap\.ts|main\.ts)/,
];
const layerOf = (f: string) => LAYERS.findIndex((re) => re.test(f));

describe('the server import graph', () => {
  const g = graph();

  it('reads the whole server', () => {
    expect(g.size).toBeGreaterThan(50);
    expect(g.get('server/app.ts')).toContain('server/plugins/index.ts');
  });

  it('has no import cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('has no route file importing another', () => {
    const routes = [...g.keys()].filter((f) => f.startsWith('server/routes/'));
    expect(routes.length).toBeGreaterThan(0);
    for (const f of routes) expect(g.get(f)!.filter((d) => d.startsWith('server/routes/')), f).toEqual([]);
  });

  it('imports nothing upward', () => {
    const upward: string[] = [];
    for (const [f, deps] of g) {
      const mine = layerOf(f);
      expect(mine, `${f} is in no layer`).toBeGreaterThanOrEqual(0);
      for (const d of deps) if (layerOf(d) > mine) upward.push(`${f} → ${d}`);
    }
    expect(upward).toEqual([]);
  });
});

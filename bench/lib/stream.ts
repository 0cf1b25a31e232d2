/** Ground truth for timer benchmarks: the warnings and expiries a realm's event stream recorded, per session. */
import type { Redis } from 'ioredis';

export interface Fired {
  warnings: number[]; // event times
  expiries: number[];
}

/** The stream id of the newest entry ("0-0" when empty). */
export async function streamCursor(r: Redis, key: string): Promise<string> {
  const last = (await r.xrevrange(key, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
  return last[0]?.[0] ?? '0-0';
}

/** Every session.warning / session.expired entry after `from`, per session id of interest. */
export async function readFired(r: Redis, key: string, from: string, sids: Set<string>): Promise<{ fired: Map<string, Fired>; entries: number }> {
  const fired = new Map<string, Fired>();
  let entries = 0;
  let cursor = from;
  for (;;) {
    const page = (await r.xrange(key, `(${cursor}`, '+', 'COUNT', 5000)) as Array<[string, string[]]>;
    if (!page.length) break;
    cursor = page[page.length - 1]![0];
    entries += page.length;
    for (const [, fields] of page) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      if (f.n !== 'session.warning' && f.n !== 'session.expired') continue;
      if (!sids.has(f.s!)) continue;
      let x = fired.get(f.s!);
      if (!x) fired.set(f.s!, (x = { warnings: [], expiries: [] }));
      (f.n === 'session.warning' ? x.warnings : x.expiries).push(Number(f.t));
    }
  }
  return { fired, entries };
}

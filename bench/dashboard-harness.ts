/**
 * The page the dashboard benchmark (T8) drives: the real `<vigil-access>` element, fed by
 * the same store methods its live socket handler calls (`store.reset` for a snapshot,
 * `store.apply` for each event batch), with a synthetic realm instead of a server so the
 * numbers measure rendering, not the network.
 */
import '../web/src/components/vigil-access.js';
import { ensureTokens } from '../web/src/styles/tokens.js';
import type { MeResponse, Session, SessionKind, VigilEvent } from '../shared/protocol.js';

ensureTokens();

export interface RunOptions {
  sessions: number;
  plain: boolean;
  eventsPerSecond: number;
  batchMs: number;
  durationMs: number;
}

export interface RunResult {
  firstRenderMs: number;
  frames: number[];
  longTasks: number;
  eventsApplied: number;
  rowsInDom: number;
}

const KINDS: SessionKind[] = ['console', 'console', 'console', 'sso', 'offline'];
// user agents with the device the server's parser (server/sessions/device.ts) makes of them
const AGENTS: Array<Pick<Session['origin'], 'userAgent' | 'device'>> = [
  { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', device: { browser: 'Chrome 131', os: 'Linux', type: 'desktop' } },
  { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', device: { browser: 'Firefox 133', os: 'Windows 10', type: 'desktop' } },
  { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', device: { browser: 'Safari 17', os: 'Mac OS 14.5', type: 'desktop' } },
];

let seq = 0;
function makeSession(now: number): Session {
  const i = seq++;
  const kind = KINDS[i % KINDS.length];
  const created = now - ((i * 7919) % 3_600_000);
  const last = now - ((i * 104729) % 200_000);
  const iso = (t: number) => new Date(t).toISOString();
  return {
    id: `s_${i.toString(36).padStart(8, '0')}`, realm: 'default', kind,
    user: { id: `u_${i % 700}`, username: `user${String(i % 700).padStart(3, '0')}` },
    clientId: kind === 'console' ? null : `app-${i % 12}`, state: 'active',
    createdAt: iso(created), lastActivityAt: iso(last), warnAt: iso(last + 270_000), expiresAt: iso(last + 300_000), maxExpiresAt: iso(created + 2_592_000_000),
    idleTimeout: 300, origin: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ...AGENTS[i % AGENTS.length]! }, current: false,
  };
}

const nextFrame = () => new Promise<number>((r) => requestAnimationFrame(r));

async function run(opts: RunOptions): Promise<RunResult> {
  const host = document.getElementById('host')!;
  host.replaceChildren();
  const el = document.createElement('vigil-access');
  el.live = false;
  el.plain = opts.plain;
  el.me = { user: { id: 'u_admin', username: 'admin', roles: ['admin'], tokenLifetime: 300 }, session: null } satisfies MeResponse;
  host.append(el);
  await el.updateComplete;
  await nextFrame();

  const now = Date.now();
  const sessions = Array.from({ length: opts.sessions }, () => makeSession(now));
  const live = new Map(sessions.map((s) => [s.id, s]));

  // first render: snapshot in → rows laid out and painted
  const t0 = performance.now();
  el.store.reset(sessions);
  await el.updateComplete;
  const root = el.shadowRoot!;
  while (root.querySelectorAll('.row').length === 0) await nextFrame();
  await nextFrame();
  const firstRenderMs = performance.now() - t0;

  // then a steady event stream, batched as the server batches it
  let longTasks = 0;
  const po = new PerformanceObserver((l) => (longTasks += l.getEntries().length));
  try {
    po.observe({ type: 'longtask', buffered: false });
  } catch {
    /* long tasks not supported: report 0 */
  }
  const frames: number[] = [];
  let eventsApplied = 0;
  let eid = 0;
  const perBatch = Math.max(1, Math.round((opts.eventsPerSecond * opts.batchMs) / 1000));
  const batchTimer = setInterval(() => {
    const t = Date.now();
    const ids = [...live.keys()];
    const events: VigilEvent[] = [];
    for (let k = 0; k < perBatch; k++) {
      const r = (eid * 2654435761) % 100;
      const pick = live.get(ids[(eid * 7 + k * 13) % ids.length])!;
      const base = { id: `${t}-${eid++}`, at: new Date(t).toISOString(), realm: 'default', data: {} };
      if (r < 45) {
        const s = { ...pick, lastActivityAt: new Date(t).toISOString(), expiresAt: new Date(t + 300_000).toISOString(), state: 'active' as const };
        live.set(s.id, s);
        events.push({ ...base, name: 'session.activity', sessionId: s.id, session: s });
      } else if (r < 60) {
        const s = { ...pick, state: 'warning' as const };
        live.set(s.id, s);
        events.push({ ...base, name: 'session.warning', sessionId: s.id, session: s });
      } else if (r < 80) {
        const s = makeSession(t);
        live.set(s.id, s);
        events.push({ ...base, name: 'session.started', sessionId: s.id, session: s });
      } else {
        live.delete(pick.id);
        events.push({ ...base, name: r < 90 ? 'session.expired' : 'session.terminated', sessionId: pick.id, session: pick });
      }
    }
    el.store.apply(events);
    eventsApplied += events.length;
  }, opts.batchMs);

  const end = performance.now() + opts.durationMs;
  let prev = await nextFrame();
  while (prev < end) {
    const t = await nextFrame();
    frames.push(t - prev);
    prev = t;
  }
  clearInterval(batchTimer);
  po.disconnect();
  const rowsInDom = root.querySelectorAll('.row').length;
  host.replaceChildren();
  return { firstRenderMs, frames, longTasks, eventsApplied, rowsInDom };
}

declare global {
  interface Window {
    vigilBench: { run: typeof run };
  }
}
window.vigilBench = { run };

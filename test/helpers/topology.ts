/**
 * Real Redis Cluster and Sentinel topologies on loopback, started by a test file itself from
 * the `redis-server` and `redis-cli` binaries (Debian package redis-server; Redis 7).
 *
 *   const cluster = await startCluster();      // 3 masters, 3 replicas
 *   process.env.REDIS_URL = cluster.urls.join(','); // redis://127.0.0.1:P1,redis://127.0.0.1:P2,…
 *   const master = await cluster.masterFor('{default}');
 *   await cluster.failover(master.replicas[0].port);
 *   await cluster.stop();
 *
 *   const sentinel = await startSentinel();    // 1 master, 1 replica, 3 sentinels, name 'mymaster'
 *   // REDIS_URL = sentinel.sentinelUrls.join(','), VIGIL_REDIS_SENTINEL_MASTER = sentinel.name
 *   await sentinel.kill(sentinel.master.port);
 *   const promoted = await sentinel.waitForSentinelPromotion();
 *   await sentinel.stop();
 *
 * Each node has a fresh directory under os.tmpdir() (vigil-cluster-… / vigil-sentinel-…) with
 * its config (`redis.conf` / `sentinel.conf`) and its log (`redis.log`). No persistence, small
 * timeouts (cluster-node-timeout 2000, sentinel down-after-milliseconds 1000, failover-timeout
 * 5000) so that failovers are quick. Ports are free loopback ports other than 6379; a cluster
 * node's bus port (port + 10000) is free too.
 *
 * By hand, the same topology (ports of your choice), each node in its own directory:
 *   redis-server ./redis.conf      # with: port 7000, bind 127.0.0.1, cluster-enabled yes,
 *                                  # cluster-node-timeout 2000, save "", appendonly no, protected-mode no,
 *                                  # hash-max-listpack-value 512, repl-diskless-sync-delay 0
 *   … six of them (7000..7005), then
 *   redis-cli --cluster create 127.0.0.1:7000 … 127.0.0.1:7005 --cluster-replicas 1 --cluster-yes
 *   redis-cli -p 7000 cluster info | grep cluster_state
 * and for Sentinel: a master (port 7100), a replica (port 7101, replicaof 127.0.0.1 7100) and
 * three `redis-server ./sentinel.conf --sentinel` with: port 26380.., sentinel monitor mymaster
 * 127.0.0.1 7100 2, sentinel down-after-milliseconds mymaster 1000, sentinel failover-timeout
 * mymaster 5000 (Sentinel rewrites its config file, so give each a copy of its own).
 *
 * Every process started here is killed by stop() (by PID), by a process 'exit' handler, and by
 * a small watchdog shell that kills them once the test process is gone (a SIGKILLed Vitest
 * worker runs no handler): a crashed run leaves no redis-server behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

const HOST = '127.0.0.1';
const INSTALL_HINT = 'the Redis topology tests need the redis-server and redis-cli binaries: run `apt-get install -y redis-server` (as root)';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let binaries: { server: string; cli: string } | null = null;

/** redis-server and redis-cli, checked once; a clear error naming the package if either is missing. */
function findBinaries(): { server: string; cli: string } {
  if (binaries) return binaries;
  const find = (name: string): string | null => {
    for (const candidate of [name, `/usr/bin/${name}`, `/usr/local/bin/${name}`]) {
      const r = spawnSync(candidate, ['--version'], { stdio: 'ignore' });
      if (r.status === 0) return candidate;
    }
    return null;
  };
  const server = find('redis-server');
  const cli = find('redis-cli');
  if (!server || !cli) throw new Error(`${INSTALL_HINT} (missing: ${[!server && 'redis-server', !cli && 'redis-cli'].filter(Boolean).join(', ')})`);
  binaries = { server, cli };
  return binaries;
}

// ---------------------------------------------------------------------------------------------
// ports

const handedOut = new Set<number>();

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/** The first port of the kernel's ephemeral range, which outgoing connections take at any time. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 20_001) return low;
  } catch {
    /* not Linux */
  }
  return 32768;
}

/**
 * A free loopback port (not 6379, not one handed out before in this process); with `bus`, port
 * + 10000 (the cluster bus) is free too. Random from 10001 up to where port + 10000 would reach
 * the ephemeral range, so that neither is taken by an outgoing connection (a node killed and
 * restarted later finds its port still free) nor collides with the suite's `freePort()` (port 0).
 */
async function pickPort(bus: boolean): Promise<number> {
  const span = ephemeralLow() - 10_000 - 10_001;
  for (let i = 0; i < 500; i++) {
    const port = 10_001 + Math.floor(Math.random() * span);
    if (port === 6379 || handedOut.has(port) || (bus && handedOut.has(port + 10000))) continue;
    if (!(await portFree(port)) || (bus && !(await portFree(port + 10000)))) continue;
    handedOut.add(port);
    if (bus) handedOut.add(port + 10000);
    return port;
  }
  throw new Error('no free loopback port found for a test redis-server');
}

// ---------------------------------------------------------------------------------------------
// processes

interface Proc {
  port: number;
  dir: string;
  confFile: string;
  args: string[];
  child: ChildProcess | null;
  exited: Promise<void>;
}

/** Every topology not stopped yet, for the exit handler. */
const live = new Set<Topology>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const t of live) t.killAllSync();
  });
}

function logTail(dir: string, lines = 25): string {
  const file = path.join(dir, 'redis.log');
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** An admin connection that does not retry: a dead node fails the call at once. */
function adminClient(port: number): Redis {
  const r = new Redis({ host: HOST, port, lazyConnect: false, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 2000, enableReadyCheck: false });
  r.on('error', () => {});
  return r;
}

/** Runs one command on the node at `port` over a short-lived connection. */
async function call(port: number, ...args: (string | number)[]): Promise<any> {
  const r = adminClient(port);
  try {
    return await r.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    r.disconnect();
  }
}

async function answersPing(port: number): Promise<boolean> {
  try {
    return (await call(port, 'PING')) === 'PONG';
  } catch {
    return false;
  }
}

/** Polls `check` (true: done) every `everyMs` until `timeoutMs`; then throws `describe()`'s message. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, describe: () => string | Promise<string>, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = null;
    } catch (err) {
      lastError = err;
    }
    await sleep(everyMs);
  }
  const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}\n${await describe()}`);
}

class Topology {
  readonly procs = new Map<number, Proc>();
  readonly dirs: string[] = [];
  private watchdog: ChildProcess | null = null;
  private pidFile: string;
  private stopped = false;

  constructor(readonly root: string) {
    this.dirs.push(root);
    this.pidFile = path.join(root, 'pids');
    live.add(this);
    installExitHandler();
  }

  /** Writes `conf` (a function of the port, retried on another port if that one got taken) and starts the node. */
  async startNode(name: string, bus: boolean, conf: (port: number, dir: string) => string, extraArgs: string[] = []): Promise<Proc> {
    findBinaries();
    let lastErr: Error | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await pickPort(bus);
      const dir = mkdtempSync(path.join(this.root, `${name}-${port}-`));
      const confFile = path.join(dir, name.startsWith('sentinel') ? 'sentinel.conf' : 'redis.conf');
      writeFileSync(confFile, conf(port, dir));
      const proc: Proc = { port, dir, confFile, args: [confFile, ...extraArgs], child: null, exited: Promise.resolve() };
      this.procs.set(port, proc);
      this.spawn(proc);
      try {
        await this.waitForPing(proc);
        return proc;
      } catch (err) {
        lastErr = err as Error;
        proc.child?.kill('SIGKILL');
        await proc.exited;
        this.procs.delete(port);
        // another process took the port between the probe and the bind: try another one
        if (!/Address already in use/i.test(logTail(dir))) break;
      }
    }
    throw lastErr!;
  }

  private spawn(proc: Proc): void {
    const { server } = findBinaries();
    const child = spawn(server, proc.args, { cwd: proc.dir, stdio: 'ignore', detached: false });
    proc.child = child;
    proc.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      if (proc.child === child) proc.child = null;
      this.writePids();
    });
    this.writePids();
    this.ensureWatchdog();
  }

  private async waitForPing(proc: Proc, timeoutMs = 10_000): Promise<void> {
    await waitFor(`redis-server on port ${proc.port} to answer PING`, timeoutMs, async () => {
      if (!proc.child) throw new Error(`redis-server on port ${proc.port} exited`);
      return answersPing(proc.port);
    }, () => this.describeNode(proc.port), 50);
  }

  describeNode(port: number): string {
    const p = this.procs.get(port);
    if (!p) return `(no node on port ${port})`;
    return `--- log tail of the node on port ${port} (${p.dir}) ---\n${logTail(p.dir)}`;
  }

  describeAll(): string {
    return [...this.procs.keys()].map((port) => this.describeNode(port)).join('\n');
  }

  pids(): number[] {
    return [...this.procs.values()].map((p) => p.child?.pid).filter((pid): pid is number => pid !== undefined);
  }

  private writePids(): void {
    if (this.stopped) return;
    try {
      writeFileSync(this.pidFile, this.pids().join(' ') + '\n');
    } catch {
      /* the root is being removed */
    }
  }

  /**
   * A shell that outlives a SIGKILLed test process: once the parent is gone it kills the PIDs
   * in the pid file (kept current on every start and exit) and removes the root.
   */
  private ensureWatchdog(): void {
    if (this.watchdog) return;
    const script = `while kill -0 ${process.pid} 2>/dev/null && [ -d "$1" ]; do sleep 1; done; ` +
      `if [ -f "$1/pids" ]; then kill -9 $(cat "$1/pids") 2>/dev/null; fi; rm -rf "$1"`;
    this.watchdog = spawn('/bin/sh', ['-c', script, 'vigil-topology-watchdog', this.root], { stdio: 'ignore', detached: true });
    this.watchdog.unref();
  }

  /** Starts a node again that kill() stopped, on the same port with the same config and directory. */
  async restart(port: number): Promise<void> {
    const proc = this.procs.get(port);
    if (!proc) throw new Error(`no node on port ${port}`);
    if (proc.child) throw new Error(`the node on port ${port} is still running`);
    this.spawn(proc);
    await this.waitForPing(proc);
  }

  /** Sends `signal` to the node on `port`; for a killing signal, resolves once it exited. */
  async kill(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.procs.get(port);
    if (!proc?.child) throw new Error(`no running node on port ${port}`);
    proc.child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await proc.exited;
  }

  running(port: number): boolean {
    return !!this.procs.get(port)?.child;
  }

  killAllSync(): void {
    for (const p of this.procs.values()) {
      if (p.child?.pid) {
        try {
          process.kill(p.child.pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    live.delete(this);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exits = [...this.procs.values()].map((p) => p.exited);
    for (const p of this.procs.values()) p.child?.kill('SIGCONT'); // a SIGSTOPped node must still die
    for (const p of this.procs.values()) p.child?.kill('SIGKILL');
    await Promise.all(exits);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.watchdog?.kill('SIGKILL');
    live.delete(this);
  }
}

/** Where a node (data node or sentinel) listens, works and logs. */
const listenConf = (port: number, dir: string) => [
  `port ${port}`,
  `bind ${HOST}`,
  'protected-mode no',
  `dir ${dir}`,
  `logfile ${path.join(dir, 'redis.log')}`,
];

/** A data node's settings: no persistence, the listpack limit Vigil's session hashes need. */
const commonConf = (port: number, dir: string) => [
  ...listenConf(port, dir),
  'appendonly no',
  'save ""',
  'hash-max-listpack-value 512',
  'maxclients 10000',
  // a replica's first full sync starts at once, not after Redis 7's default 5 s wait for more replicas
  'repl-diskless-sync-delay 0',
];

/** What both topologies offer over their processes. */
export interface TopologyControl {
  /** Sends `signal` (default SIGKILL) to the node on `port`; for SIGKILL/SIGTERM/SIGINT, resolves once it exited. */
  kill(port: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed node again on the same port, with the same config and directory. */
  restart(port: number): Promise<void>;
  running(port: number): boolean;
  /** PIDs of the running processes. */
  pids(): number[];
  /** The temp directory holding every node's directory (removed by stop()). */
  dir: string;
  /** A node's log tail, for a test's own error messages. */
  logTail(port: number): string;
  /** Kills every process started (by PID) and removes the temp directory; idempotent. */
  stop(): Promise<void>;
}

function controls(topo: Topology): TopologyControl {
  return {
    kill: (port, signal) => topo.kill(port, signal),
    restart: (port) => topo.restart(port),
    running: (port) => topo.running(port),
    pids: () => topo.pids(),
    dir: topo.root,
    logTail: (port) => topo.describeNode(port),
    stop: () => topo.stop(),
  };
}

// ---------------------------------------------------------------------------------------------
// cluster

export interface ClusterNode {
  id: string;
  port: number;
  url: string;
  /** As the node asked says: 'master' or 'replica'. */
  role: 'master' | 'replica';
  /** For a replica, its master's id. */
  masterId: string | null;
  /** Slot ranges [from, to] a master owns. */
  slots: Array<[number, number]>;
  failing: boolean;
}

export interface ClusterMaster extends ClusterNode {
  replicas: ClusterNode[];
}

export interface ClusterOptions {
  /** Masters (each gets `replicasPerMaster` replicas); default 3. */
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout in ms; default 2000. */
  nodeTimeoutMs?: number;
  /** More config lines for every node. */
  extraConfig?: string[];
  /** How long startup may take; default 45 s. */
  timeoutMs?: number;
}

export interface TestCluster extends TopologyControl {
  /** Every node's URL, `redis://127.0.0.1:PORT`, the shape REDIS_URL's comma-separated list takes. */
  urls: string[];
  /** Every node's port. */
  ports: number[];
  /** `{host, port}` of every node, for ioredis `new Cluster(...)`. */
  startupNodes: Array<{ host: string; port: number }>;
  /** The slot a key hashes to (asked of a live node: CLUSTER KEYSLOT). */
  slotFor(key: string): Promise<number>;
  /** The master owning `key`'s slot, with its replicas, as the cluster sees it now. */
  masterFor(key: string): Promise<ClusterMaster>;
  nodeForSlot(slot: number): Promise<ClusterMaster>;
  /** The masters (owning slots) and their replicas, as a live node sees them now. */
  masters(): Promise<ClusterMaster[]>;
  /** CLUSTER FAILOVER (or FORCE / TAKEOVER) on the replica at `port`; resolves once it is master and the cluster is ok. */
  failover(port: number, mode?: 'FORCE' | 'TAKEOVER'): Promise<void>;
  /**
   * Waits until every running node says cluster_state:ok and they agree on who owns every
   * slot, each owner running (after kill() of a master: until its replica has taken over), and
   * on each master's replicas.
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
}

/** CLUSTER NODES as seen by the node at `port`. */
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text: string = await call(port, 'CLUSTER', 'NODES');
  return text.trim().split('\n').map((line) => {
    const f = line.split(' ');
    const flags = f[2].split(',');
    const p = Number(f[1].split('@')[0].split(':').pop());
    const slots: Array<[number, number]> = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue; // a slot being imported/migrated
      const [a, b] = s.split('-').map(Number);
      slots.push([a, b ?? a]);
    }
    return {
      id: f[0], port: p, url: `redis://${HOST}:${p}`,
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: f[3] === '-' ? null : f[3],
      slots,
      failing: flags.includes('fail') || flags.includes('fail?') || f[7] !== 'connected',
    } as ClusterNode;
  });
}

function groupMasters(nodes: ClusterNode[]): ClusterMaster[] {
  return nodes
    .filter((n) => n.role === 'master' && n.slots.length > 0)
    .map((m) => ({ ...m, replicas: nodes.filter((n) => n.role === 'replica' && n.masterId === m.id) }))
    .sort((a, b) => a.slots[0][0] - b.slots[0][0]);
}

const slotCount = (m: ClusterNode) => m.slots.reduce((n, [a, b]) => n + b - a + 1, 0);

export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const { cli } = findBinaries();
  const nMasters = opts.masters ?? 3;
  const perMaster = opts.replicasPerMaster ?? 1;
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const topo = new Topology(mkdtempSync(path.join(os.tmpdir(), 'vigil-cluster-')));
  try {
    const conf = (port: number, dir: string) => [
      ...commonConf(port, dir),
      'cluster-enabled yes',
      `cluster-config-file ${path.join(dir, 'nodes.conf')}`,
      `cluster-node-timeout ${opts.nodeTimeoutMs ?? 2000}`,
      // a replica may always take over (no data-age limit): tests kill masters on purpose
      'cluster-replica-validity-factor 0',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n');
    const procs = await Promise.all(Array.from({ length: nMasters * (1 + perMaster) }, (_, i) => topo.startNode(`node${i}`, true, conf)));
    const ports = procs.map((p) => p.port);

    const create = spawnSync(cli, ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', String(perMaster), '--cluster-yes'], { encoding: 'utf8', timeout: timeoutMs });
    if (create.status !== 0) {
      throw new Error(`redis-cli --cluster create failed (status ${create.status}):\n${create.stdout}\n${create.stderr}\n${topo.describeAll()}`);
    }

    const cluster: TestCluster = {
      ...controls(topo),
      urls: ports.map((p) => `redis://${HOST}:${p}`),
      ports,
      startupNodes: ports.map((port) => ({ host: HOST, port })),
      async slotFor(key) {
        return Number(await call(liveNode(), 'CLUSTER', 'KEYSLOT', key));
      },
      async masterFor(key) {
        return cluster.nodeForSlot(await cluster.slotFor(key));
      },
      async nodeForSlot(slot) {
        const m = (await cluster.masters()).find((x) => x.slots.some(([a, b]) => slot >= a && slot <= b));
        if (!m) throw new Error(`no master owns slot ${slot}`);
        return m;
      },
      async masters() {
        return groupMasters(await clusterNodes(liveNode()));
      },
      async failover(port, mode) {
        const me = (await clusterNodes(port)).find((n) => n.port === port)!;
        if (me.role !== 'replica') throw new Error(`the node on port ${port} is not a replica`);
        const oldMaster = (await clusterNodes(port)).find((n) => n.id === me.masterId);
        const isMaster = async () => {
          const self = (await clusterNodes(port)).find((n) => n.port === port)!;
          return self.role === 'master' && self.slots.length > 0;
        };
        // Redis gives a manual failover 5 s (then logs "Manual failover timed out" and stays a
        // replica); ask again, up to 3 times
        for (let attempt = 1; ; attempt++) {
          const reply = await call(port, 'CLUSTER', 'FAILOVER', ...(mode ? [mode] : []));
          if (reply !== 'OK') throw new Error(`CLUSTER FAILOVER on port ${port} answered ${reply}`);
          try {
            await waitFor(`the replica on port ${port} to become master after CLUSTER FAILOVER (attempt ${attempt})`, 7000, isMaster,
              async () => `${await clusterSummary()}\n${topo.describeNode(port)}\n${oldMaster ? topo.describeNode(oldMaster.port) : ''}`);
            break;
          } catch (err) {
            if (attempt === 3) throw err;
            if (await isMaster().catch(() => false)) break; // it made it just after the wait
          }
        }
        await cluster.waitUntilHealthy();
        // a running old master turns into the new master's replica, in every node's view, in sync
        if (oldMaster && topo.running(oldMaster.port)) {
          await waitFor(`the old master on port ${oldMaster.port} to replicate the new one on ${port}`, 20_000, async () => {
            for (const p of ports.filter((x) => topo.running(x))) {
              const old = (await clusterNodes(p)).find((n) => n.id === oldMaster.id);
              if (old?.role !== 'replica' || old.masterId !== me.id) return false;
            }
            return /master_link_status:up/.test(await call(oldMaster.port, 'INFO', 'replication'));
          }, async () => `${await clusterSummary()}\n${topo.describeNode(oldMaster.port)}`);
        }
      },
      async waitUntilHealthy(ms = 20_000) {
        await waitFor('every running cluster node to say cluster_state:ok and agree on the slot owners (all running) and their replicas', ms, async () => {
          let view: string | null = null;
          for (const p of ports.filter((x) => topo.running(x))) {
            const info: string = await call(p, 'CLUSTER', 'INFO');
            if (!/cluster_state:ok/.test(info)) return false;
            const masters = groupMasters(await clusterNodes(p));
            // right after a master is killed the others still say ok until cluster-node-timeout
            if (masters.some((m) => !topo.running(m.port))) return false;
            // replicas too: a master that does not know its replica yet ignores its CLUSTER FAILOVER
            const owners = masters.map((m) => `${m.port}:${JSON.stringify(m.slots)}<${m.replicas.map((r) => r.port).sort()}`).join(' ');
            if (view !== null && owners !== view) return false;
            view = owners;
          }
          return true;
        }, async () => `${await clusterSummary()}\n${topo.describeAll()}`);
      },
    };

    function liveNode(): number {
      const p = ports.find((x) => topo.running(x));
      if (p === undefined) throw new Error('no cluster node is running');
      return p;
    }
    async function clusterSummary(): Promise<string> {
      const out: string[] = [];
      for (const p of ports) {
        if (!topo.running(p)) {
          out.push(`${p}: not running`);
          continue;
        }
        try {
          const info: string = await call(p, 'CLUSTER', 'INFO');
          out.push(`${p}: ${info.match(/cluster_state:\w+/)?.[0]}\n${await call(p, 'CLUSTER', 'NODES')}`);
        } catch (err) {
          out.push(`${p}: ${(err as Error).message}`);
        }
      }
      return out.join('\n');
    }

    await cluster.waitUntilHealthy(timeoutMs);
    // every master owns slots and has its replicas, each with its replication link up
    await waitFor(`${nMasters} masters each with ${perMaster} replica(s) in sync`, timeoutMs, async () => {
      const masters = await cluster.masters();
      if (masters.length !== nMasters || masters.reduce((n, m) => n + slotCount(m), 0) !== 16384) return false;
      for (const m of masters) {
        if (m.replicas.length !== perMaster || m.failing) return false;
        for (const r of m.replicas) {
          if (r.failing || !/master_link_status:up/.test(await call(r.port, 'INFO', 'replication'))) return false;
        }
      }
      return true;
    }, async () => `${await clusterSummary()}\n${topo.describeAll()}`);
    return cluster;
  } catch (err) {
    await topo.stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// sentinel

export interface SentinelOptions {
  /** The master's name; default 'mymaster'. */
  name?: string;
  /** Default 3. */
  sentinels?: number;
  /** Default 2. */
  quorum?: number;
  /** Default 1000. */
  downAfterMs?: number;
  /** Default 5000. */
  failoverTimeoutMs?: number;
  extraConfig?: string[];
  timeoutMs?: number;
}

export interface Address {
  host: string;
  port: number;
}

export interface TestSentinel extends TopologyControl {
  name: string;
  /** The master and replica as started (not updated by a failover: ask waitForSentinelPromotion()). */
  master: Address & { url: string };
  replica: Address & { url: string };
  /** `redis://127.0.0.1:PORT` of each sentinel, REDIS_URL's shape in sentinel mode. */
  sentinelUrls: string[];
  /** `{host, port}` of each sentinel, for ioredis `new Redis({ sentinels, name })`. */
  sentinels: Address[];
  /** The master's address as every running sentinel reports it (they must agree). */
  currentMaster(): Promise<Address>;
  /**
   * Waits until every running sentinel reports a master other than `previous` (default: the
   * master they reported when the wait began, else the one started) and that node says it is
   * master; returns its address.
   */
  waitForSentinelPromotion(previous?: Address, timeoutMs?: number): Promise<Address>;
}

export async function startSentinel(opts: SentinelOptions = {}): Promise<TestSentinel> {
  const name = opts.name ?? 'mymaster';
  const nSentinels = opts.sentinels ?? 3;
  const quorum = opts.quorum ?? 2;
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const topo = new Topology(mkdtempSync(path.join(os.tmpdir(), 'vigil-sentinel-')));
  try {
    const dataConf = (extra: string[]) => (port: number, dir: string) => [...commonConf(port, dir), ...extra, ...(opts.extraConfig ?? []), ''].join('\n');
    const master = await topo.startNode('master', false, dataConf([]));
    const replica = await topo.startNode('replica', false, dataConf([`replicaof ${HOST} ${master.port}`]));
    await waitFor(`the replica on port ${replica.port} to sync with the master on ${master.port}`, timeoutMs, async () =>
      /master_link_status:up/.test(await call(replica.port, 'INFO', 'replication')), () => topo.describeAll());

    const sentinelConf = (port: number, dir: string) => [
      ...listenConf(port, dir),
      `sentinel monitor ${name} ${HOST} ${master.port} ${quorum}`,
      `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs ?? 5000}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n');
    const sentinels = await Promise.all(Array.from({ length: nSentinels }, (_, i) => topo.startNode(`sentinel${i}`, false, sentinelConf, ['--sentinel'])));
    const sentinelPorts = sentinels.map((s) => s.port);
    const runningSentinels = () => sentinelPorts.filter((p) => topo.running(p));

    const addrOf = async (port: number): Promise<Address | null> => {
      const r: string[] | null = await call(port, 'SENTINEL', 'get-master-addr-by-name', name);
      return r ? { host: r[0], port: Number(r[1]) } : null;
    };
    const summary = async (): Promise<string> => {
      const out: string[] = [];
      for (const p of runningSentinels()) {
        try {
          const a = await addrOf(p);
          const replicas: string[][] = await call(p, 'SENTINEL', 'replicas', name);
          const others: string[][] = await call(p, 'SENTINEL', 'sentinels', name);
          out.push(`sentinel ${p}: master ${a ? `${a.host}:${a.port}` : 'unknown'}, replicas ${replicas.map((r) => flat(r).name + ' ' + flat(r).flags).join('; ') || 'none'}, other sentinels ${others.length}`);
        } catch (err) {
          out.push(`sentinel ${p}: ${(err as Error).message}`);
        }
      }
      return `${out.join('\n')}\n${topo.describeAll()}`;
    };

    // every sentinel knows the master, sees the replica connected and knows the other sentinels
    await waitFor(`all ${nSentinels} sentinels to know master '${name}', its replica and each other`, timeoutMs, async () => {
      for (const p of sentinelPorts) {
        const a = await addrOf(p);
        if (!a || a.port !== master.port) return false;
        const replicas = (await call(p, 'SENTINEL', 'replicas', name) as string[][]).map(flat);
        if (!replicas.some((r) => Number(r.port) === replica.port && r.flags === 'slave' && r['master-link-status'] === 'ok')) return false;
        const others = (await call(p, 'SENTINEL', 'sentinels', name) as string[][]).map(flat);
        if (others.filter((s) => !/s_down|o_down|disconnected/.test(s.flags)).length !== nSentinels - 1) return false;
      }
      return true;
    }, summary, 200);

    const self: TestSentinel = {
      ...controls(topo),
      name,
      master: { host: HOST, port: master.port, url: `redis://${HOST}:${master.port}` },
      replica: { host: HOST, port: replica.port, url: `redis://${HOST}:${replica.port}` },
      sentinelUrls: sentinelPorts.map((p) => `redis://${HOST}:${p}`),
      sentinels: sentinelPorts.map((port) => ({ host: HOST, port })),
      async currentMaster() {
        const seen = new Set<string>();
        let addr: Address | null = null;
        for (const p of runningSentinels()) {
          const a = await addrOf(p);
          if (!a) throw new Error(`sentinel ${p} does not know master '${name}'`);
          seen.add(`${a.host}:${a.port}`);
          addr = a;
        }
        if (!addr) throw new Error('no sentinel is running');
        if (seen.size > 1) throw new Error(`the sentinels disagree on the master: ${[...seen].join(', ')}`);
        return addr;
      },
      async waitForSentinelPromotion(previous, ms = 30_000) {
        let before = previous;
        if (!before) {
          try {
            before = await self.currentMaster();
          } catch {
            before = self.master;
          }
        }
        let promoted: Address | null = null;
        await waitFor(`the sentinels to promote a new master in place of ${before.host}:${before.port}`, ms, async () => {
          const a = await self.currentMaster();
          if (a.port === before!.port) return false;
          const role: unknown[] = await call(a.port, 'ROLE');
          if (role[0] !== 'master') return false;
          promoted = a;
          return true;
        }, summary, 200);
        return promoted!;
      },
    };
    return self;
  } catch (err) {
    await topo.stop();
    throw err;
  }
}

/** A SENTINEL reply's flat [key, value, key, value, …] list as an object. */
function flat(kv: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < kv.length; i += 2) o[kv[i]] = kv[i + 1];
  return o;
}

/**
 * The Redis Cluster and Sentinel topologies the distributed-Redis tests run on
 * (test/helpers/topology.ts), checked with ioredis itself: the cluster has 3 masters owning all
 * slots, each with a replica in sync; a key written through `Cluster` lives on the master that
 * owns its slot and survives a CLUSTER FAILOVER of that master, then a SIGKILL of the new one
 * (its replica takes over; restarted, the killed node rejoins as a replica); Sentinel promotes the replica
 * when the master is SIGKILLed and an ioredis sentinel client follows it with the data written
 * before. stop(), and a test process that dies, leave no redis-server and no temp directory.
 *
 * Each topology is started once (beforeAll). Generous timeouts, no speed assertions.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { startCluster, startSentinel, type TestCluster, type TestSentinel } from '../helpers/topology.js';

const START_MS = 90_000;
const STEP_MS = 60_000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A plain connection to one node that gives up at once if the node is gone. */
const direct = (port: number) => {
  const r = new Redis({ host: '127.0.0.1', port, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  return r;
};

async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = direct(port);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

const tcpPort = async (r: Redis) => Number(/tcp_port:(\d+)/.exec(await r.info('server'))![1]);

async function expectStopsCleanly(t: TestCluster | TestSentinel, expectedProcesses: number): Promise<void> {
  const pids = t.pids();
  expect(pids).toHaveLength(expectedProcesses);
  expect(existsSync(t.dir)).toBe(true);
  await t.stop();
  expect(pids.filter(alive)).toEqual([]);
  expect(existsSync(t.dir)).toBe(false);
}

describe('Redis Cluster: 3 masters, 3 replicas on loopback', () => {
  let cluster: TestCluster;
  let client: Cluster;
  const key = '{default}:topology-probe';
  const value = `v-${Date.now()}`;

  beforeAll(async () => {
    cluster = await startCluster();
    client = new Cluster(cluster.startupNodes);
    client.on('error', () => {});
  }, START_MS);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('gives six seed URLs, three masters owning all 16384 slots, each with a replica in sync', async () => {
    expect(cluster.urls).toHaveLength(6);
    for (const u of cluster.urls) expect(u).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.ports).not.toContain(6379);
    expect(new Set(cluster.ports).size).toBe(6);

    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    expect(masters.reduce((n, m) => n + m.slots.reduce((s, [a, b]) => s + b - a + 1, 0), 0)).toBe(16384);
    for (const m of masters) {
      expect(m.slots.length).toBeGreaterThan(0);
      expect(m.replicas).toHaveLength(1);
      const replication = await onNode(m.replicas[0].port, (r) => r.info('replication'));
      expect(replication).toContain('role:slave');
      expect(replication).toContain(`master_port:${m.port}`);
      expect(replication).toContain('master_link_status:up');
    }
    for (const port of cluster.ports) {
      expect(await onNode(port, (r) => r.call('CLUSTER', 'INFO') as Promise<string>)).toContain('cluster_state:ok');
    }
  }, STEP_MS);

  it('a key set through ioredis Cluster is readable, and lives on the master owning its slot', async () => {
    expect(await client.set(key, value)).toBe('OK');
    expect(await client.get(key)).toBe(value);

    const slot = await cluster.slotFor(key);
    expect(slot).toBe(await cluster.slotFor('{default}')); // the hash tag decides
    const owner = await cluster.masterFor(key);
    expect(owner.slots.some(([a, b]) => a <= slot && slot <= b)).toBe(true);
    expect(await onNode(owner.port, (r) => r.get(key))).toBe(value);
    // any other master redirects rather than answering
    const other = (await cluster.masters()).find((m) => m.port !== owner.port)!;
    await expect(onNode(other.port, (r) => r.get(key))).rejects.toThrow(/MOVED/);
  }, STEP_MS);

  it('CLUSTER FAILOVER on the replica of the master owning {default} makes it master; the key is still there', async () => {
    const before = await cluster.masterFor('{default}');
    const replicaPort = before.replicas[0].port;

    await cluster.failover(replicaPort);

    const after = await cluster.masterFor('{default}');
    expect(after.port).toBe(replicaPort);
    expect(after.replicas.map((r) => r.port)).toEqual([before.port]); // the old master now replicates it
    expect(await onNode(replicaPort, (r) => r.info('replication'))).toContain('role:master');
    expect(await onNode(replicaPort, (r) => r.get(key))).toBe(value);
    // the same Cluster client follows the move, for reads and writes
    await vi.waitFor(async () => expect(await client.get(key)).toBe(value), { timeout: 15_000, interval: 200 });
    expect(await client.set(`${key}:after`, 'x')).toBe('OK');
    expect(await onNode(replicaPort, (r) => r.get(`${key}:after`))).toBe('x');
  }, STEP_MS);

  it('SIGKILL of that master: its replica takes over by itself; restarted, the killed node rejoins as a replica', async () => {
    const before = await cluster.masterFor('{default}');
    const replicaPort = before.replicas[0].port;

    await cluster.kill(before.port);
    expect(cluster.running(before.port)).toBe(false);
    await cluster.waitUntilHealthy(30_000);

    const after = await cluster.masterFor('{default}');
    expect(after.port).toBe(replicaPort);
    expect(await onNode(replicaPort, (r) => r.get(key))).toBe(value);
    await vi.waitFor(async () => expect(await client.get(key)).toBe(value), { timeout: 15_000, interval: 200 });

    await cluster.restart(before.port);
    await vi.waitFor(async () => {
      const m = await cluster.masterFor('{default}');
      expect(m.port).toBe(replicaPort);
      expect(m.replicas.map((r) => r.port)).toEqual([before.port]);
      expect(await onNode(before.port, (r) => r.info('replication'))).toContain('master_link_status:up');
    }, { timeout: 30_000, interval: 250 });
    expect(await onNode(before.port, (r) => r.call('READONLY').then(() => r.get(key)))).toBe(value);
  }, STEP_MS);

  it('stop() kills every node it started and removes the temp directory', async () => {
    client.disconnect();
    await expectStopsCleanly(cluster, 6);
  }, STEP_MS);
});

describe('Redis Sentinel: a master, a replica, three sentinels on loopback', () => {
  let sentinel: TestSentinel;
  let client: Redis;

  beforeAll(async () => {
    sentinel = await startSentinel();
  }, START_MS);

  afterAll(async () => {
    client?.disconnect();
    await sentinel?.stop();
  });

  it('every sentinel knows the master and its connected replica', async () => {
    expect(sentinel.sentinelUrls).toHaveLength(3);
    for (const u of sentinel.sentinelUrls) expect(u).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    for (const s of sentinel.sentinels) {
      await onNode(s.port, async (r) => {
        expect(await r.call('SENTINEL', 'get-master-addr-by-name', sentinel.name)).toEqual(['127.0.0.1', String(sentinel.master.port)]);
        const replicas = (await r.call('SENTINEL', 'replicas', sentinel.name)) as string[][];
        expect(replicas.map((kv) => kv[kv.indexOf('port') + 1])).toEqual([String(sentinel.replica.port)]);
      });
    }
    expect(await onNode(sentinel.replica.port, (r) => r.info('replication'))).toContain(`master_port:${sentinel.master.port}`);
  }, STEP_MS);

  it('SIGKILL of the master: the sentinels promote the replica and an ioredis sentinel client reads what it wrote before', async () => {
    client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.name });
    client.on('error', () => {});
    const key = 'topology:sentinel-probe';
    const value = `v-${Date.now()}`;
    expect(await client.set(key, value)).toBe('OK');
    expect(await tcpPort(client)).toBe(sentinel.master.port);
    // acknowledged by the replica before the master dies, so the promoted replica must have it
    expect(await client.wait(1, 5000)).toBe(1);

    await sentinel.kill(sentinel.master.port);
    expect(sentinel.running(sentinel.master.port)).toBe(false);
    const promoted = await sentinel.waitForSentinelPromotion(sentinel.master);
    expect(promoted).toEqual({ host: '127.0.0.1', port: sentinel.replica.port });

    await vi.waitFor(async () => expect(await client.get(key)).toBe(value), { timeout: 30_000, interval: 250 });
    expect(await tcpPort(client)).toBe(sentinel.replica.port);
    expect(await client.set(`${key}:after`, 'x')).toBe('OK'); // a master: writes are accepted
  }, STEP_MS);

  it('stop() kills every process it started and removes the temp directory', async () => {
    client.disconnect();
    await expectStopsCleanly(sentinel, 4); // the killed master is gone already
  }, STEP_MS);
});

describe('a test process that dies leaves no redis-server behind', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'vigil-topology-crash-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // 'exit': the process exits (the 'exit' handler); 'SIGKILL': it runs no handler (the watchdog)
  it.each(['exit', 'SIGKILL'] as const)('when it ends by %s', async (how) => {
    const script = path.join(scratch, `child-${how}.mts`);
    const helper = pathToFileURL(path.resolve('test/helpers/topology.ts')).href;
    writeFileSync(script, [
      `import { startSentinel } from ${JSON.stringify(helper)};`,
      'const t = await startSentinel({ sentinels: 1, quorum: 1 });',
      'process.stdout.write(JSON.stringify({ pids: t.pids(), dir: t.dir }) + "\\n");',
      how === 'exit' ? 'process.exit(3);' : 'setInterval(() => {}, 1000);',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await vi.waitFor(() => {
      if (child.exitCode !== null && !out.includes('\n')) throw new Error(`the child failed: ${err}`);
      expect(out).toContain('\n');
    }, { timeout: 45_000, interval: 100 });
    const { pids, dir } = JSON.parse(out.split('\n')[0]) as { pids: number[]; dir: string };
    expect(pids).toHaveLength(3);
    expect(pids.every(alive)).toBe(true);

    if (how === 'SIGKILL') child.kill('SIGKILL');
    expect(await exited).toBe(how === 'exit' ? 3 : null);

    await vi.waitFor(() => {
      expect(pids.filter(alive)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    }, { timeout: 10_000, interval: 200 });
  }, STEP_MS);
});

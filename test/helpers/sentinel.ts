import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitUntilListening } from './redis.js';
import { closedPort } from './upstream.js';
import { waitForAsync } from './wait.js';

/** Sentinel timings of the drill: a master silent for 1 s is down; a stuck failover is retried after 5 s. */
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;
const SENTINELS = 3;
const QUORUM = 2;

/** A master, one replica and three sentinels watching them, all `redis-server` processes on loopback. */
export interface SentinelGroup {
  /** The master group name the sentinels monitor. */
  readonly name: string;
  /** The sentinels as `REDIS_SENTINELS` lists them. */
  readonly sentinels: string;
  readonly masterPort: number;
  readonly replicaPort: number;
  /** The port of the master the sentinels name now (asked of the first sentinel that answers). */
  currentMasterPort(): Promise<number | undefined>;
  /** SIGKILLs the original master: no goodbye to clients, replicas or sentinels. */
  killMaster(): Promise<void>;
  /** Kills every process of the group and removes its directory. */
  stop(): Promise<void>;
}

/** Runs a throw-away client against one port of the group. */
async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500, commandTimeout: 500 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** The fields of a `SENTINEL MASTER <name>` reply, as a map. */
async function sentinelView(port: number, name: string): Promise<Map<string, string>> {
  const reply = await withClient(port, (client) => client.call('SENTINEL', 'MASTER', name)) as string[];
  return new Map(reply.flatMap((_, i) => (i % 2 === 0 ? [[reply[i]!, reply[i + 1]!] as [string, string]] : [])));
}

/**
 * Starts a Sentinel group in a temporary directory and waits until it is whole: the replica in
 * sync, and every sentinel knowing the replica and the two other sentinels (without that, a
 * failover could not be agreed). Nothing is persisted.
 */
export async function startSentinelGroup(name = 'limits'): Promise<SentinelGroup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-sentinel-'));
  const children: ChildProcess[] = [];
  const start = (args: string[]): ChildProcess => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
      child.once('exit', resolve);
      child.kill('SIGKILL');
    })));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(
      Array.from({ length: 2 + SENTINELS }, () => closedPort()),
    ) as [number, number, ...number[]];
    const server = (port: number): string[] => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    // No 5 s wait for more replicas before the first sync (repl-diskless-sync-delay defaults to 5).
    const master = start([...server(masterPort), '--repl-diskless-sync-delay', '0']);
    start([...server(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]);
    await Promise.all([waitUntilListening(masterPort), waitUntilListening(replicaPort)]);
    await waitForAsync(async () => (await withClient(replicaPort, (client) => client.info('replication'))).includes('master_link_status:up'));

    for (const port of sentinelPorts) {
      // Each sentinel rewrites its own file (it records what it learns), so each gets one.
      const file = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(file, [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${QUORUM}`,
        `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'));
      start([file, '--sentinel']);
    }
    await Promise.all(sentinelPorts.map((port) => waitUntilListening(port)));
    // Sentinels find each other through hello messages on the master, every 2 s.
    await waitForAsync(async () => {
      const views = await Promise.all(sentinelPorts.map((port) => sentinelView(port, name)));
      return views.every((view) => view.get('num-slaves') === '1' && view.get('num-other-sentinels') === String(SENTINELS - 1));
    }, 15_000);

    return {
      name,
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      masterPort,
      replicaPort,
      async currentMasterPort() {
        for (const port of sentinelPorts) {
          const address = await withClient(port, (client) => client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).catch(() => undefined);
          if (Array.isArray(address)) return Number(address[1]);
        }
        return undefined;
      },
      async killMaster() {
        if (master.exitCode !== null || master.signalCode !== null) return;
        await new Promise((resolve) => {
          master.once('exit', resolve);
          master.kill('SIGKILL');
        });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

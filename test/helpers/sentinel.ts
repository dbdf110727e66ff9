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
  /** Starts the original master's process again, empty; the sentinels turn it into a replica. */
  restartMaster(): Promise<void>;
  /**
   * Resolves with the port of a sentinel that sees a replica on `port` with its link to the master
   * up (sentinels refresh a replica's state every 10 s, each on its own clock: one may lag).
   */
  sentinelSeeingReplica(port: number, timeoutMs: number): Promise<number>;
  /**
   * Asks the sentinel on `sentinelPort` for a switchover (`SENTINEL FAILOVER`): a replica is promoted while the master
   * still runs.
   */
  switchover(sentinelPort: number): Promise<void>;
  /** Kills every process of the group and removes its directory. */
  stop(): Promise<void>;
}

/** Runs a throw-away client against one port of the group. */
async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
    commandTimeout: 500,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** A flat `[field, value, field, value, …]` Sentinel reply as a map. */
function fieldsOf(reply: string[]): Map<string, string> {
  return new Map(reply.flatMap((_, i) => (i % 2 === 0 ? [[reply[i]!, reply[i + 1]!] as [string, string]] : [])));
}

/** The fields of a `SENTINEL MASTER <name>` reply. */
async function sentinelView(port: number, name: string): Promise<Map<string, string>> {
  return fieldsOf((await withClient(port, (client) => client.call('SENTINEL', 'MASTER', name))) as string[]);
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
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
            child.once('exit', resolve);
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [masterPort, replicaPort, ...sentinelPorts] = (await Promise.all(
      Array.from({ length: 2 + SENTINELS }, () => closedPort()),
    )) as [number, number, ...number[]];
    // Either may be master: neither waits 5 s for more replicas before a sync (repl-diskless-sync-delay).
    const server = (port: number): string[] => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--repl-diskless-sync-delay',
      '0',
    ];
    const masterArgs = server(masterPort);
    let master = start(masterArgs);
    start([...server(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]);
    await Promise.all([waitUntilListening(masterPort), waitUntilListening(replicaPort)]);
    await waitForAsync(async () =>
      (await withClient(replicaPort, (client) => client.info('replication'))).includes('master_link_status:up'),
    );

    for (const port of sentinelPorts) {
      // Each sentinel rewrites its own file (it records what it learns), so each gets one.
      const file = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${QUORUM}`,
          `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      start([file, '--sentinel']);
    }
    await Promise.all(sentinelPorts.map((port) => waitUntilListening(port)));
    // Sentinels find each other through hello messages on the master, every 2 s.
    await waitForAsync(async () => {
      const views = await Promise.all(sentinelPorts.map((port) => sentinelView(port, name)));
      return views.every(
        (view) => view.get('num-slaves') === '1' && view.get('num-other-sentinels') === String(SENTINELS - 1),
      );
    }, 15_000);

    return {
      name,
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      masterPort,
      replicaPort,
      async currentMasterPort() {
        for (const port of sentinelPorts) {
          const address = await withClient(port, (client) =>
            client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name),
          ).catch(() => undefined);
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
      async restartMaster() {
        master = start(masterArgs);
        await waitUntilListening(masterPort);
      },
      async sentinelSeeingReplica(port, timeoutMs) {
        let seeing: number | undefined;
        await waitForAsync(async () => {
          for (const sentinel of sentinelPorts) {
            const replicas = (await withClient(sentinel, (client) =>
              client.call('SENTINEL', 'REPLICAS', name),
            )) as string[][];
            const ready = replicas
              .map(fieldsOf)
              .some(
                (replica) =>
                  replica.get('port') === String(port) &&
                  replica.get('master-link-status') === 'ok' &&
                  !/s_down|disconnected/.test(replica.get('flags') ?? ''),
              );
            if (ready) seeing = sentinel;
          }
          return seeing !== undefined;
        }, timeoutMs);
        return seeing!;
      },
      async switchover(sentinelPort) {
        await withClient(sentinelPort, (client) => client.call('SENTINEL', 'FAILOVER', name));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

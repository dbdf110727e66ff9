import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnNode, type NodeProcess } from '../../demo/node-process.js';
import { descendantsOf, killAll } from './process-tree.js';

/** The compiled demo launcher and stub runner (`npm test` builds them first). */
export const DEMO_ENTRY = fileURLToPath(new URL('../../dist-demo/demo/index.js', import.meta.url));
export const STUBS_ENTRY = fileURLToPath(new URL('../../dist-demo/demo/stub-services.js', import.meta.url));

/** Bounds a test's wait for a line of the demo or a stub, or for its exit. */
export const DEMO_WAIT_MS = 20_000;

/** Runs `node entry ...args` with exactly `env` (plus PATH), its output captured. */
export function spawnScript(entry: string, args: readonly string[], env: Record<string, string>): NodeProcess {
  return spawnNode(entry, args, { env: { PATH: process.env.PATH ?? '', ...env }, output: 'capture' });
}

/** SIGKILLs `script` and everything below it (the demo's gateway), if still running. */
export async function killTree(script: NodeProcess): Promise<void> {
  if (script.child.exitCode !== null || script.child.signalCode !== null) return;
  killAll([...descendantsOf(script.child.pid!), script.child.pid!]);
  await script.exited;
}

/** `count` distinct loopback ports that were free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** True when a TCP connection to 127.0.0.1:`port` is refused. */
export function isClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

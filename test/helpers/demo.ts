import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { descendantsOf, killAll } from './process-tree.js';

/** The compiled demo launcher and stub runner (`npm test` builds them first). */
export const DEMO_ENTRY = fileURLToPath(new URL('../../dist/src/demo/index.js', import.meta.url));
export const STUBS_ENTRY = fileURLToPath(new URL('../../dist/src/demo/stub-services.js', import.meta.url));

/** A demo or stub process started by a test. */
export interface DemoProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves once stdout contains `text`; rejects after `timeoutMs` or if the process exits first. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with how the process ended; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<number | string>;
  /** SIGKILLs the process and everything below it, if still running. */
  kill(): Promise<void>;
}

/** Spawns `node entry ...args` with exactly `env` (plus PATH): no pipe through npm, so signals reach it. */
export function spawnNode(entry: string, args: readonly string[], env: Record<string, string>): DemoProcess {
  const child = spawn(process.execPath, [entry, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let done = false;
  void exited.then(() => (done = true));

  async function poll(until: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitForOutput(text, timeoutMs = 20_000) {
      await poll(() => stdout.includes(text) || done, JSON.stringify(text), timeoutMs);
      if (!stdout.includes(text)) throw new Error(`exited before printing ${JSON.stringify(text)}; stderr: ${stderr}`);
    },
    async waitForExit(timeoutMs = 20_000) {
      await poll(() => done, 'exit', timeoutMs);
      return exited;
    },
    async kill() {
      if (done) return;
      killAll([...descendantsOf(child.pid!), child.pid!]);
      await exited;
    },
  };
}

/** `count` distinct loopback ports that were free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
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

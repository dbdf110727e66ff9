import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TIMED_OUT, withTimeout } from '../../src/with-timeout.js';
import { freePorts, isClosed } from './demo.js';
import { descendantsOf, killAll } from './process-tree.js';

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

/** An nginx master process of a test's own, in the foreground, with its files in a temporary folder. */
export interface RunningNginx {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * deploy/nginx.conf with its replicas at `servers` (in order) and its listener on 127.0.0.1:`port`;
 * fails when the config no longer has exactly the lines these replace.
 */
export function renderForLoopback(config: string, servers: readonly number[], port: number): string {
  let replaced = 0;
  const rendered = config
    .replace(/^(\s*)server\s+gateway-(\d+):4000([^;]*);/gm, (_line, indent: string, index: string, options: string) => {
      replaced += 1;
      return `${indent}server 127.0.0.1:${servers[Number(index) - 1]}${options};`;
    })
    .replace(/^(\s*)listen\s+4000;/m, (_line, indent: string) => `${indent}listen 127.0.0.1:${port};`)
    .replace(/^http\s*\{/m, 'http {\n  access_log off;');
  if (replaced !== servers.length || !rendered.includes(`listen 127.0.0.1:${port};`)) {
    throw new Error(
      `deploy/nginx.conf no longer has ${servers.length} "server gateway-N:4000;" lines and "listen 4000;"`,
    );
  }
  return rendered;
}

/** True when an nginx binary is on PATH (.ci/run installs it). */
export function hasNginx(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Starts `nginx` with `render(port)` as its whole configuration, on a free loopback port. */
export async function startNginx(render: (port: number) => string): Promise<RunningNginx> {
  const [port] = (await freePorts(1)) as [number];
  const prefix = mkdtempSync(join(tmpdir(), 'gateway-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  writeFileSync(join(prefix, 'nginx.conf'), render(port));
  const child = spawn(
    'nginx',
    [
      '-p',
      prefix,
      '-c',
      join(prefix, 'nginx.conf'),
      '-e',
      'stderr',
      '-g',
      `daemon off; pid ${join(prefix, 'nginx.pid')};`,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));

  async function stop(): Promise<void> {
    const workers = descendantsOf(child.pid!);
    if (!done) child.kill('SIGTERM');
    if ((await withTimeout(exited, STOP_TIMEOUT_MS)) === TIMED_OUT) killAll([...workers, child.pid!]);
    await exited;
    rmSync(prefix, { recursive: true, force: true });
  }

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (await isClosed(port)) {
    if (done || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${port}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, stop };
}

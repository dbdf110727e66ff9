import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { waitUntilAnswering } from './http.js';
import { startProcess } from './processes.js';
import type { BenchRedis } from './redis.js';

/** Everything the bench listens on or connects to is on this address. */
export const LOOPBACK = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;

/** A process the bench started and measures, with the URL its product routes start at. */
export interface Target {
  readonly child: ChildProcess;
  readonly pid: number;
  /** `…/products` on the upstream, `…/api/v1/products` on the gateway. */
  readonly productsUrl: string;
}

const hasExited = (child: ChildProcess) => (): boolean => child.exitCode !== null || child.signalCode !== null;

/** A loopback port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts bench/upstream.ts and resolves once it has printed the port it listens on. */
export async function startUpstream(options: { root: string; stderrFile: string }): Promise<Target> {
  const stderr = openSync(options.stderrFile, 'a');
  const child = startProcess(process.execPath, ['--import', 'tsx', path.join('bench', 'upstream.ts')], {
    cwd: options.root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', stderr],
  });
  closeSync(stderr);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the upstream printed no port within ${START_TIMEOUT_MS} ms; see ${options.stderrFile}`));
    }, START_TIMEOUT_MS);
    let pending = '';
    child.stdout!.on('data', (data: Buffer) => {
      pending += data.toString('utf8');
      const newline = pending.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      resolve((JSON.parse(pending.slice(0, newline)) as { port: number }).port);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the upstream exited (${code ?? signal}) before listening; see ${options.stderrFile}`));
    });
  });
  const productsUrl = `http://${LOOPBACK}:${port}/products`;
  await waitUntilAnswering(`http://${LOOPBACK}:${port}/actuator/health`, START_TIMEOUT_MS, hasExited(child));
  return { child, pid: child.pid!, productsUrl };
}

/** How the gateway under test is configured: the whole onion on, as production runs it. */
export interface GatewayOptions {
  readonly root: string;
  readonly upstreamUrl: string;
  readonly jwtSecret: string;
  readonly jwtIssuer: string;
  readonly corsOrigin: string;
  /** Shared limiter through this Redis; unset: in-memory limiter. */
  readonly redis: BenchRedis | undefined;
  /** The gateway's JSON log (stdout); unset: /dev/null. */
  readonly logFile: string | undefined;
  readonly stderrFile: string;
}

/** The built gateway's entry point (`npm run build` writes it). */
export function gatewayEntry(root: string): string {
  return path.join(root, 'dist', 'src', 'index.js');
}

/** The Node flags `npm start` (and the image) runs the gateway with, e.g. its heap settings. */
export function productionNodeFlags(root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return scripts.start!.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** Starts the gateway as `npm start` does, on a free loopback port, and resolves once `/health` answers. */
export async function startGateway(options: GatewayOptions): Promise<Target> {
  const entry = gatewayEntry(options.root);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: LOOPBACK,
    PORT: String(port),
    // A port of its own: the default 9464 may be taken by another gateway on the machine.
    METRICS_PORT: String(await freePort()),
    PRODUCT_SERVICE_URL: options.upstreamUrl,
    REQUIRE_AUTH: 'true',
    JWT_SECRET: options.jwtSecret,
    JWT_ISSUER: options.jwtIssuer,
    CORS_ORIGINS: options.corsOrigin,
    RATE_LIMIT_MAX: '100000000',
    LOG_LEVEL: 'info',
  };
  if (options.redis !== undefined) {
    env.REDIS_URL = options.redis.url;
    env.RATE_LIMIT_REDIS_PREFIX = options.redis.prefix;
  }
  const stdout = openSync(options.logFile ?? '/dev/null', 'a');
  const stderr = openSync(options.stderrFile, 'a');
  const child = startProcess(process.execPath, [...productionNodeFlags(options.root), entry], {
    cwd: options.root,
    env,
    stdio: ['ignore', stdout, stderr],
  });
  closeSync(stdout);
  closeSync(stderr);
  try {
    await waitUntilAnswering(`http://${LOOPBACK}:${port}/health`, START_TIMEOUT_MS, hasExited(child));
  } catch (error) {
    throw new Error(`the gateway did not start: ${(error as Error).message}; see ${options.stderrFile}`, {
      cause: error,
    });
  }
  return { child, pid: child.pid!, productsUrl: `http://${LOOPBACK}:${port}/api/v1/products` };
}

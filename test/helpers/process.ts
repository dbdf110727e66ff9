import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitStatus, spawnNode, type NodeProcess } from '../../demo/node-process.js';

/** The compiled entry point that `npm start` runs (`npm test` builds it first). */
export const GATEWAY_ENTRY = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

/** A gateway process started from the build, as production runs it. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every stdout line, parsed as JSON when it is JSON. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/** Bounds the wait for a gateway's first log line and for a configuration that must not start. */
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

const running = new Set<NodeProcess>();

/** Kills every gateway process a test started and did not stop (call from `afterEach`). */
export async function killSpawnedGateways(): Promise<void> {
  const stopping = [...running].map((gateway) => gateway.stop('SIGKILL', STOP_TIMEOUT_MS));
  running.clear();
  await Promise.all(stopping);
}

/** The gateway's env for a test: nothing of this process's but PATH, an ephemeral port on loopback, then `env`. */
function testEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0', ...env };
}

/** The line as JSON, or `{ text }` when it is not JSON. */
function parseLogLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: line };
  }
}

/** Starts `node dist/src/index.js` with `env` on an ephemeral port and waits until it listens. */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = spawnNode(GATEWAY_ENTRY, [], { env: testEnv({ REQUIRE_AUTH: 'false', ...env }), output: 'capture' });
  running.add(gateway);
  void gateway.exited.then(() => running.delete(gateway));
  const logs: Array<Record<string, unknown>> = [];
  gateway.onLine((line) => logs.push(parseLogLine(line)));
  const listening = await gateway.waitForLine(
    (line) => parseLogLine(line).msg === 'gateway listening',
    START_TIMEOUT_MS,
  );
  const port = (parseLogLine(listening).address as { port?: number } | undefined)?.port;
  if (port === undefined) throw new Error(`no port in ${listening}`);
  return {
    child: gateway.child,
    port,
    logs,
    stderr: gateway.stderr,
    exited: gateway.exited.then(exitStatus),
    async stop() {
      return exitStatus(await gateway.stop('SIGKILL', STOP_TIMEOUT_MS));
    },
  };
}

/** Runs the built gateway with `env` and returns how it ended, for configurations that must not start. */
export async function runGateway(
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const gateway = spawnNode(GATEWAY_ENTRY, [], { env: testEnv(env), output: 'capture' });
  try {
    const { code } = await gateway.waitForExit(timeoutMs);
    return { code, stdout: gateway.stdout(), stderr: gateway.stderr() };
  } catch (error) {
    await gateway.stop('SIGKILL', STOP_TIMEOUT_MS);
    throw error;
  }
}

/** Resets the peak resident set size of `pid` (Linux `clear_refs`), so VmHWM measures from now. */
export function resetPeakMemory(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** A `/proc/PID/status` field in MiB, e.g. `VmHWM` (peak resident) or `VmRSS`. */
export function memoryMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no ${field} for ${pid}`);
  return Number(match[1]) / 1024;
}
